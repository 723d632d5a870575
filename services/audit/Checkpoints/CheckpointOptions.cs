namespace Platform.Audit.Checkpoints;

/// <summary><c>Audit:Checkpoints</c> (checked by <see cref="CheckpointOptionsValidator"/>): how the logs' checkpoints are named, signed and how often (README "Checkpoints").</summary>
public sealed class CheckpointOptions
{
    public const string Section = "Audit:Checkpoints";

    /// <summary>The prefix of every log's origin line: <c>&lt;Origin&gt;/&lt;organization id&gt;</c>, <c>&lt;Origin&gt;/-</c> without one.</summary>
    public string Origin { get; set; } = "platform.dev/audit";

    /// <summary>The signed-note key name (no spaces, no '+').</summary>
    public string KeyName { get; set; } = "platform.dev/audit";

    /// <summary>The current signing key: a secret of at least 32 characters; the Ed25519 seed is its SHA-256.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Verifier keys (<c>name+hash+base64</c>) of earlier signing keys, still published after a rotation.</summary>
    public List<string> PreviousVerifierKeys { get; set; } = [];

    /// <summary>How often every log gets a new signed checkpoint, also when it has not grown.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}
