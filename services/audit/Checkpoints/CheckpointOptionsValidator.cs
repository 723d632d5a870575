using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Platform.Audit.Checkpoints;

/// <summary>Checks <c>Audit:Checkpoints</c> and reports every problem at once; the signing key is named, never shown.</summary>
internal sealed partial class CheckpointOptionsValidator : IValidateOptions<CheckpointOptions>
{
    public const int MinSigningKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, CheckpointOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.Origin) || !Origin().IsMatch(options.Origin))
        {
            errors.Add($"{CheckpointOptions.Section}:Origin is required: lower-case names, digits, '.', '-' and '/'-separated segments (e.g. platform.dev/audit).");
        }

        if (string.IsNullOrEmpty(options.KeyName) || !KeyName().IsMatch(options.KeyName))
        {
            errors.Add($"{CheckpointOptions.Section}:KeyName is required: 1 to 100 printable characters, without spaces or '+'.");
        }

        if (options.SigningKey.Length < MinSigningKeyLength)
        {
            errors.Add("Audit:Checkpoints:SigningKey must have at least 32 characters.");
        }

        if (options.PreviousVerifierKeys.Any(key => NoteSigner.ParseVerifierKey(key) is null))
        {
            errors.Add("Every Audit:Checkpoints:PreviousVerifierKeys entry must be an Ed25519 verifier key 'name+hash+base64'.");
        }

        if (options.Interval < TimeSpan.FromSeconds(1) || options.Interval > TimeSpan.FromDays(1))
        {
            errors.Add($"{CheckpointOptions.Section}:Interval must be between 1 s and 1 day.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex(@"^[a-z0-9.-]+(/[a-z0-9._-]+)*$")]
    private static partial Regex Origin();

    [GeneratedRegex(@"^[\x21-\x2a\x2c-\x7e]{1,100}$")]
    private static partial Regex KeyName();
}
