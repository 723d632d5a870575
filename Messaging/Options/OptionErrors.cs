namespace Platform.Messaging.Options;

/// <summary>Collects every problem with an options object so that start-up reports them all at once.</summary>
internal sealed class OptionErrors(string section)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            _errors.Add($"{section}:{key} {problem}");
        }
    }

    public void InRange(int value, int min, int max, string key) =>
        Require(value >= min && value <= max, key, $"must be between {min} and {max} (is {value}).");

    public void InRange(TimeSpan value, TimeSpan min, TimeSpan max, string key) =>
        Require(value >= min && value <= max, key, $"must be between {min} and {max} (is {value}).");
}
