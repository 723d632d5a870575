namespace Platform.Keys.Lifecycle;

/// <summary>Why a change to a key was not made.</summary>
internal enum Refusal
{
    None,
    NotFound,
    Revoked,
    Expired,
    AlreadyRotated,
}

internal readonly record struct Outcome<T>(T? Value, Refusal Refusal)
{
    public static implicit operator Outcome<T>(T value) => new(value, Refusal.None);

    public static implicit operator Outcome<T>(Refusal refusal) => new(default, refusal);
}
