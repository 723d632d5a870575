namespace Platform.Audit.Log;

/// <summary>Log identity: an organization's id, or '' for the log of events without one.</summary>
internal static class LogIds
{
    public const string None = "";

    public static string Of(string? organizationId) => organizationId ?? None;

    public static List<byte[]> SplitFrontier(byte[] packed) =>
        Enumerable.Range(0, packed.Length / MerkleTree.HashSize).Select(i => packed.AsSpan(i * MerkleTree.HashSize, MerkleTree.HashSize).ToArray()).ToList();
}
