namespace Platform.Keys.Model;

/// <summary>
/// Every problem with one request, by field (camelCase, with <c>[index]</c> for list items), for an RFC 9457
/// validation problem. Messages describe the rule, never echo the value: a misplaced secret must not come back.
/// </summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> errors = [];

    public bool Any => errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var messages)) errors[field] = messages = [];
        messages.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
}
