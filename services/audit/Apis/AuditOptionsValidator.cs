using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>Checks <c>Audit:Readers</c> and reports every problem at once. Tokens are named, never shown.</summary>
internal sealed partial class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public const int MinTokenLength = 32;

    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var errors = new List<string>();
        if (options.Readers.Count == 0)
        {
            errors.Add("Audit:Readers needs at least one reader: nobody could read the audit log.");
        }

        for (var index = 0; index < options.Readers.Count; index++)
        {
            var reader = options.Readers[index];
            var section = $"Audit:Readers:{index}";
            if (!ReaderName().IsMatch(reader.Name))
            {
                errors.Add($"{section}:Name must be lower-case letters, digits and '-', starting with a letter (at most 63).");
            }

            if (reader.Token.Length < MinTokenLength)
            {
                errors.Add($"{section}:Token: a reader token must have at least {MinTokenLength} characters.");
            }

            if (reader.Organizations.Count == 0)
            {
                errors.Add("Every Audit:Readers entry needs Organizations (ids, or \"*\").");
            }

            var networkErrors = new List<string>();
            OperatorNetworks.Parse(reader.Networks, section, networkErrors);
            if (networkErrors.Count > 0)
            {
                errors.Add("Every Audit:Readers:N:Networks entry must be a CIDR range without host bits (e.g. 10.0.0.0/8).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Distinct());
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex ReaderName();
}
