using Microsoft.Extensions.Options;
using Platform.Keys.Model;

namespace Platform.Keys;

/// <summary>
/// Checks the whole <c>Keys</c> section and reports every problem at once. Messages name settings, never their
/// values: the section is all secrets.
/// </summary>
internal sealed class KeysOptionsValidator : IValidateOptions<KeysOptions>
{
    public const int MinPepperBytes = 32;
    public const int MinTokenLength = 32;

    public ValidateOptionsResult Validate(string? name, KeysOptions options)
    {
        var errors = new List<string>();
        ValidatePepper(options.Pepper, errors);

        if (options.Administrators.Count == 0)
        {
            errors.Add("Keys:Administrators needs at least one entry (Name, Token, Organizations): nobody could manage keys.");
        }

        for (var index = 0; index < options.Administrators.Count; index++)
        {
            ValidateAdministrator(options.Administrators[index], $"Keys:Administrators:{index}", errors);
        }

        if (options.Administrators.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count() != options.Administrators.Count)
        {
            errors.Add("Keys:Administrators names must be unique: the name is the actor in the audit trail.");
        }

        if (options.ServiceTokens.Count == 0)
        {
            errors.Add("Keys:ServiceTokens needs at least one token: the gateway could not verify keys.");
        }

        for (var index = 0; index < options.ServiceTokens.Count; index++)
        {
            if (options.ServiceTokens[index] is not { Length: >= MinTokenLength })
            {
                errors.Add($"Keys:ServiceTokens:{index} must have at least {MinTokenLength} characters.");
            }
        }

        var tokens = options.Administrators.Select(a => a.Token).Concat(options.ServiceTokens).ToList();
        if (tokens.Distinct(StringComparer.Ordinal).Count() != tokens.Count)
        {
            errors.Add("Keys:Administrators tokens and Keys:ServiceTokens must all differ from each other.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidatePepper(string pepper, List<string> errors)
    {
        if (string.IsNullOrEmpty(pepper))
        {
            errors.Add($"Keys:Pepper is required: base64 of at least {MinPepperBytes} random bytes (e.g. from 'openssl rand -base64 32').");
            return;
        }

        var buffer = new byte[pepper.Length];
        if (!Convert.TryFromBase64String(pepper, buffer, out var length))
        {
            errors.Add("Keys:Pepper is not valid base64.");
        }
        else if (length < MinPepperBytes)
        {
            errors.Add($"Keys:Pepper must decode to at least {MinPepperBytes} bytes.");
        }

        Array.Clear(buffer);
    }

    private static void ValidateAdministrator(KeyAdministrator administrator, string path, List<string> errors)
    {
        if (administrator.Name is not { Length: > 0 and <= 64 } || !administrator.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add($"{path}:Name must be 1 to 64 lower-case letters, digits or '-'.");
        }

        if (administrator.Token is not { Length: >= MinTokenLength })
        {
            errors.Add($"{path}:Token must have at least {MinTokenLength} characters.");
        }

        Platform.Security.Authentication.OperatorNetworks.Parse(administrator.Networks, path, errors);
        if (administrator.Organizations.Count == 0)
        {
            errors.Add($"{path}:Organizations needs organization ids, or \"*\" for all of them.");
        }

        if (administrator.Organizations.Any(o => o != "*" && !OrganizationIds.IsWellFormed(o)))
        {
            errors.Add($"{path}:Organizations has an entry that is neither \"*\" nor an organization id (org_ and 1 to 60 letters or digits).");
        }
    }
}
