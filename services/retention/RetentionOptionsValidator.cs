using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Retention;

/// <summary>Checks the whole <c>Retention</c> section and reports every problem at once, naming settings, never values.</summary>
internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public const int MinTokenLength = 32;

    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        if (options.Operators.Count == 0) errors.Add("Retention:Operators needs at least one entry (Name, Token, Organizations): nobody could set a plan.");
        for (var index = 0; index < options.Operators.Count; index++)
        {
            var path = $"Retention:Operators:{index}";
            var entry = options.Operators[index];
            if (string.IsNullOrWhiteSpace(entry.Name)) errors.Add($"{path}:Name is required (it is the actor in the audit trail).");
            if (entry.Token is not { Length: >= MinTokenLength }) errors.Add($"{path}:Token must have at least {MinTokenLength} characters.");
            if (entry.Organizations.Count == 0) errors.Add($"{path}:Organizations needs at least one organization id or \"*\".");
            OperatorNetworks.Parse(entry.Networks, path, errors);
        }

        if (options.Operators.Select(o => o.Name).Distinct(StringComparer.Ordinal).Count() != options.Operators.Count)
            errors.Add("Retention:Operators names must be unique: the name is the actor in the audit trail.");
        if (options.Operators.Select(o => o.Token).Distinct(StringComparer.Ordinal).Count() != options.Operators.Count)
            errors.Add("Retention:Operators tokens must be unique.");
        if (options.StorageToken is not { Length: >= MinTokenLength }) errors.Add($"Retention:StorageToken must have at least {MinTokenLength} characters.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
