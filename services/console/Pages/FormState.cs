using Platform.SecurityConsole.Api;

namespace Platform.SecurityConsole.Pages;

/// <summary>What a refused form shows again: which form, what was typed (never a secret), the messages by field, the API's problem.</summary>
internal sealed record FormState(string Form, IReadOnlyDictionary<string, string> Values, IReadOnlyDictionary<string, string> Errors, ApiProblem? Problem)
{
    public string? Value(string form, string field) => Form == form && Values.TryGetValue(field, out var value) ? value : null;

    public string? Error(string form, string field) => Form == form && Errors.TryGetValue(field, out var message) ? message : null;

    public ApiProblem? ProblemOf(string form) => Form == form || Form.StartsWith(form + "-", StringComparison.Ordinal) ? Problem : null;

    public static FormState Of(HttpContext http, string form, string[] fields, Dictionary<string, string> errors, ApiProblem? problem = null) =>
        new(form, fields.ToDictionary(f => f, f => http.Request.Form[f].ToString()), errors, problem);
}
