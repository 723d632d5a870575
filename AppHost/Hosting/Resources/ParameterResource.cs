namespace Platform.Hosting;

/// <summary>
/// A value supplied at deployment (<c>parameter.v0</c>). Generated secrets are created on first run, kept in the
/// state folder (owner-only file) and reused, so a database initialised with one password keeps working.
/// </summary>
public sealed class ParameterResource(string name, bool secret, int generateMinLength) : Resource(name), IValueReference
{
    private string? value;

    public bool Secret { get; } = secret;

    public int GenerateMinLength { get; } = generateMinLength;

    public string ValueExpression => $"{{{Name}.value}}";

    public string GetValue() => value ?? throw new InvalidOperationException($"Parameter '{Name}' has no value yet.");

    internal void SetValue(string newValue) => value = newValue;
}
