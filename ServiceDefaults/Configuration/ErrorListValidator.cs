using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Configuration;

/// <summary>Options validation from a method that lists every error (none: valid), so start-up reports them all at once.</summary>
public sealed class ErrorListValidator<TOptions>(Func<TOptions, IEnumerable<string>> errors) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var found = errors(options).ToList();
        return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
    }
}
