using Microsoft.Extensions.Options;
using Platform.Residency.Model;

namespace Platform.Residency;

/// <summary>Checks the whole <c>Residency</c> section and reports every problem at once, naming settings, never token values.</summary>
internal sealed class ResidencyOptionsValidator : IValidateOptions<ResidencyOptions>
{
    public const int MinTokenLength = 32;

    public ValidateOptionsResult Validate(string? name, ResidencyOptions options)
    {
        var errors = new List<string>();
        if (options.Regions.Count == 0) errors.Add("Residency:Regions needs at least one region (Id, Name, Jurisdiction, StorageEndpoint).");
        for (var index = 0; index < options.Regions.Count; index++)
        {
            var path = $"Residency:Regions:{index}";
            var region = options.Regions[index];
            if (!RegionIds.IsWellFormed(region.Id)) errors.Add($"{path}:Id must be 1 to 16 lower-case letters or digits (e.g. 'eu').");
            if (string.IsNullOrWhiteSpace(region.Name)) errors.Add($"{path}:Name is required.");
            if (string.IsNullOrWhiteSpace(region.Jurisdiction)) errors.Add($"{path}:Jurisdiction is required.");
            if (!Uri.TryCreate(region.StorageEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                errors.Add($"{path}:StorageEndpoint must be an absolute http(s) address of the region's storage.");
        }

        if (options.Regions.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count() != options.Regions.Count)
            errors.Add("Residency:Regions ids must be unique.");
        if (options.Regions.All(r => r.Id != options.DefaultRegion))
            errors.Add("Residency:DefaultRegion must be the id of one of Residency:Regions.");
        if (options.StorageToken is not { Length: >= MinTokenLength }) errors.Add($"Residency:StorageToken must have at least {MinTokenLength} characters.");
        for (var index = 0; index < options.ServiceTokens.Count; index++)
        {
            if (options.ServiceTokens[index] is not { Length: >= MinTokenLength }) errors.Add($"Residency:ServiceTokens:{index} must have at least {MinTokenLength} characters.");
        }

        if (options.Reports.SigningKey is not { Length: >= MinTokenLength }) errors.Add($"Residency:Reports:SigningKey must have at least {MinTokenLength} characters.");
        if (string.IsNullOrWhiteSpace(options.Reports.KeyName) || options.Reports.KeyName.Any(c => char.IsWhiteSpace(c) || c == '+'))
            errors.Add("Residency:Reports:KeyName must be non-empty, without spaces or '+'.");
        for (var index = 0; index < options.Operators.Count; index++)
        {
            var path = $"Residency:Operators:{index}";
            var op = options.Operators[index];
            if (string.IsNullOrWhiteSpace(op.Name)) errors.Add($"{path}:Name is required.");
            if (op.Token is not { Length: >= MinTokenLength }) errors.Add($"{path}:Token must have at least {MinTokenLength} characters.");
            if (op.Organizations.Count == 0) errors.Add($"{path}:Organizations must list organization ids or '*'.");
            Platform.Security.Authentication.OperatorNetworks.Parse(op.Networks, path, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
