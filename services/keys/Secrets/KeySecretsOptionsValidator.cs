using Microsoft.Extensions.Options;
using Platform.Keys.Model;

namespace Platform.Keys.Secrets;

/// <summary>
/// Checks <c>Keys:Secrets</c> and storage's discovered address, reporting every problem at once. Messages name
/// settings, never their values.
/// </summary>
internal sealed class KeySecretsOptionsValidator(IConfiguration configuration, IOptions<KeysOptions> keys) : IValidateOptions<KeySecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, KeySecretsOptions options)
    {
        var errors = new List<string>();
        var storage = configuration[KeySecretsOptions.StorageEndpointKey];
        if (!Uri.TryCreate(storage, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            errors.Add($"{KeySecretsOptions.StorageEndpointKey.Replace(":", "__", StringComparison.Ordinal)} must be storage's absolute http(s) address (the AppHost sets it with a reference to storage): secrets are encrypted through its transit API.");
        }

        if (options.StorageToken is not { Length: >= KeysOptionsValidator.MinTokenLength })
        {
            errors.Add($"{KeySecretsOptions.Section}:StorageToken must have at least {KeysOptionsValidator.MinTokenLength} characters (one of storage's Storage:ServiceTokens).");
        }

        // PeriodicTimer takes at most 2^32 - 2 ms (49.7 days); storage's bound wants far less (an hour by default).
        if (options.RewrapInterval < TimeSpan.FromSeconds(1) || options.RewrapInterval > TimeSpan.FromDays(45))
        {
            errors.Add($"{KeySecretsOptions.Section}:RewrapInterval must be between 1 second and 45 days (at most storage's Storage:BackupReach:TransitReportInterval).");
        }

        for (var index = 0; index < options.Consumers.Count; index++)
        {
            ValidateConsumer(options.Consumers[index], $"{KeySecretsOptions.Section}:Consumers:{index}", errors);
        }

        if (options.Consumers.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != options.Consumers.Count)
        {
            errors.Add($"{KeySecretsOptions.Section}:Consumers names must be unique: the name is the actor in the audit trail.");
        }

        // A consumer token that is also an administrator's or the gateway's would let that caller read secrets.
        var others = keys.Value.Administrators.Select(a => a.Token).Concat(keys.Value.ServiceTokens).ToHashSet(StringComparer.Ordinal);
        var tokens = options.Consumers.Select(c => c.Token).ToList();
        if (tokens.Distinct(StringComparer.Ordinal).Count() != tokens.Count || tokens.Any(others.Contains))
        {
            errors.Add($"{KeySecretsOptions.Section}:Consumers tokens must differ from each other and from Keys:Administrators and Keys:ServiceTokens.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateConsumer(SecretConsumer consumer, string path, List<string> errors)
    {
        if (consumer.Name is not { Length: > 0 and <= 64 } || !consumer.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add($"{path}:Name must be 1 to 64 lower-case letters, digits or '-'.");
        }

        if (consumer.Token is not { Length: >= KeysOptionsValidator.MinTokenLength })
        {
            errors.Add($"{path}:Token must have at least {KeysOptionsValidator.MinTokenLength} characters.");
        }

        Platform.Security.Authentication.OperatorNetworks.Parse(consumer.Networks, path, errors);
        if (consumer.Organizations.Count == 0)
        {
            errors.Add($"{path}:Organizations needs organization ids, or \"*\" for all of them.");
        }

        if (consumer.Organizations.Any(o => o != "*" && !OrganizationIds.IsWellFormed(o)))
        {
            errors.Add($"{path}:Organizations has an entry that is neither \"*\" nor an organization id (org_ and 1 to 60 letters or digits).");
        }
    }
}
