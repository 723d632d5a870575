namespace Platform.Audit.Log;

/// <summary>What is wrong with one entry of a log, or with the log itself (LeafIndex null).</summary>
internal sealed record VerificationProblem(string Kind, long? LeafIndex, string? EventId, string Detail);

/// <summary>One row as found: the leaf index it claims (null: none), its event id and the leaf hash of its fields.</summary>
internal sealed record FoundLeaf(long? LeafIndex, string EventId, byte[] LeafHash);

/// <summary>
/// Compares rows with the leaf hashes stored when they were appended (README "Verifying"), in log order, and names
/// what happened to each that differs: altered, removed, inserted or reordered. Pure: the service's verification
/// (<see cref="LogVerifier"/>) and platformctl's offline verification of a bundle both use it. Leaves before
/// <c>start</c> were pruned (README "Retention"): a row claiming one was never appended.
/// </summary>
internal static class LeafComparison
{
    public const string Altered = "altered";
    public const string Removed = "removed";
    public const string Inserted = "inserted";
    public const string Reordered = "reordered";
    public const string CheckpointMismatch = "checkpoint-mismatch";

    /// <param name="start">The first leaf still kept.</param>
    /// <param name="stored">The stored leaf hashes of leaves <paramref name="start"/> … start + Length - 1 (null: missing).</param>
    /// <param name="rows">Rows in leaf order, rows without a leaf index last.</param>
    /// <param name="recomputed">Filled with each position's row leaf hash (null where no row stands).</param>
    public static List<VerificationProblem> Compare(long start, byte[]?[] stored, IReadOnlyList<FoundLeaf> rows, byte[]?[] recomputed)
    {
        var size = start + stored.Length;
        // Built only when a leaf differs: whether a stored leaf's entry still exists somewhere tells removal from reordering.
        Dictionary<string, long>? positions = null;
        HashSet<string>? present = null;
        var problems = new List<VerificationProblem>();
        var expected = start;
        foreach (var row in rows)
        {
            if (row.LeafIndex is not { } index || index >= size || index < start)
            {
                problems.Add(new(Inserted, row.LeafIndex, row.EventId, row.LeafIndex is { } pruned && pruned < start
                    ? $"The row claims leaf {pruned}, which was pruned: it was not appended by the audit service."
                    : "The row has no place in the log: it was not appended by the audit service."));
                continue;
            }

            if (index < expected)
            {
                problems.Add(new(Inserted, index, row.EventId, $"A second row claims leaf {index}."));
                continue;
            }

            for (; expected < index; expected++) problems.Add(Gap(expected));
            expected = index + 1;
            recomputed[index - start] = row.LeafHash;
            if (stored[index - start] is not { } appended || appended.AsSpan().SequenceEqual(row.LeafHash)) continue;

            positions ??= Positions(start, stored);
            present ??= rows.Select(r => Convert.ToBase64String(r.LeafHash)).ToHashSet();
            var originalStillThere = present.Contains(Convert.ToBase64String(appended));
            problems.Add(positions.TryGetValue(Convert.ToBase64String(row.LeafHash), out var original) && original != index
                ? originalStillThere
                    ? new(Reordered, index, row.EventId, $"The entry appended as leaf {original} stands at leaf {index}.")
                    : new(Removed, index, null, $"The entry appended as leaf {index} is gone; later entries were moved up.")
                : originalStillThere
                    ? new(Inserted, index, row.EventId, $"The row at leaf {index} was never appended; the entry appended there was moved down.")
                    : new(Altered, index, row.EventId, $"Leaf {index} does not match the entry as it was appended."));
        }

        for (; expected < size; expected++) problems.Add(Gap(expected));
        return problems;
    }

    /// <summary>The problem that comes first in log order (one without a leaf last).</summary>
    public static VerificationProblem? First(IEnumerable<VerificationProblem> problems) => problems.OrderBy(p => p.LeafIndex ?? long.MaxValue).FirstOrDefault();

    /// <summary>
    /// The root of the tree of <paramref name="size"/> leaves from the complete subtrees covering the pruned prefix
    /// (<paramref name="prefix"/>, largest first, as the log's right edge was at <paramref name="start"/>) and the leaves after it; null if one is missing.
    /// </summary>
    public static byte[]? Root(long start, IReadOnlyList<byte[]> prefix, byte[]?[] leaves, long size)
    {
        var frontier = prefix.ToList();
        for (var i = start; i < size; i++)
        {
            if (i - start >= leaves.Length || leaves[i - start] is not { } leaf) return null;
            MerkleTree.Append(frontier, i, leaf, static (_, _, _) => { });
        }

        return MerkleTree.Root(frontier);
    }

    private static VerificationProblem Gap(long index) => new(Removed, index, null, $"Leaf {index} has no row: the entry was removed.");

    private static Dictionary<string, long> Positions(long start, byte[]?[] stored)
    {
        var positions = new Dictionary<string, long>();
        for (var i = 0; i < stored.Length; i++)
        {
            if (stored[i] is { } hash) positions.TryAdd(Convert.ToBase64String(hash), start + i);
        }

        return positions;
    }
}
