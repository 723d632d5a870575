using Platform.Audit.Checkpoints;

namespace Platform.Audit.Log;

/// <summary>What is wrong with one entry of a log, or with the log itself (LeafIndex null).</summary>
public sealed record VerificationProblem(string Kind, long? LeafIndex, string? EventId, string Detail);

/// <summary>The outcome of re-computing a log from the stored rows.</summary>
public sealed record VerificationReport(
    string Origin, long TreeSize, long? CheckpointSize, bool Verified, VerificationProblem? FirstProblem, int ProblemCount);

/// <summary>
/// Re-computes a log from the stored rows (README "Verifying"): every row's leaf against the leaf hash stored when it
/// was appended, and the tree of the rows against the latest signed checkpoint. Names the first entry that was
/// altered, removed, inserted or reordered, in log order.
/// </summary>
internal sealed class LogVerifier(LogStore store, NoteSigner signer, CheckpointPublisher publisher)
{
    public const string Altered = "altered";
    public const string Removed = "removed";
    public const string Inserted = "inserted";
    public const string Reordered = "reordered";
    public const string CheckpointMismatch = "checkpoint-mismatch";

    public async Task<VerificationReport> VerifyAsync(string logId, CancellationToken cancellationToken)
    {
        var origin = publisher.OriginOf(logId);
        var size = (await store.LogAsync(logId, cancellationToken))?.Size ?? 0;
        var stored = await store.LeafHashesAsync(logId, size, cancellationToken);
        var positions = new Dictionary<string, long>();
        for (var i = 0L; i < size; i++)
        {
            if (stored[i] is { } hash) positions.TryAdd(Convert.ToBase64String(hash), i);
        }

        // Every row's leaf first: whether a stored leaf's entry still exists somewhere tells removal from reordering.
        var entries = new List<(StoredEntry Entry, byte[] Leaf)>();
        await foreach (var entry in store.EntriesAsync(logId, cancellationToken)) entries.Add((entry, MerkleTree.LeafHash(LeafData.Serialize(entry.Leaf))));
        var present = entries.Select(e => Convert.ToBase64String(e.Leaf)).ToHashSet();

        var problems = new List<VerificationProblem>();
        var recomputed = new byte[]?[size];
        var expected = 0L;
        foreach (var (entry, leaf) in entries)
        {
            if (entry.LeafIndex is not { } index || index >= size)
            {
                problems.Add(new(Inserted, entry.LeafIndex, entry.EventId, "The row has no place in the log: it was not appended by the audit service."));
                continue;
            }

            if (index < expected)
            {
                problems.Add(new(Inserted, index, entry.EventId, $"A second row claims leaf {index}."));
                continue;
            }

            for (; expected < index; expected++) problems.Add(new(Removed, expected, null, $"Leaf {expected} has no row: the entry was removed."));
            expected = index + 1;
            recomputed[index] = leaf;
            if (stored[index] is not { } appended || appended.AsSpan().SequenceEqual(leaf)) continue;
            var originalStillThere = present.Contains(Convert.ToBase64String(appended));
            problems.Add(positions.TryGetValue(Convert.ToBase64String(leaf), out var original) && original != index
                ? originalStillThere
                    ? new(Reordered, index, entry.EventId, $"The entry appended as leaf {original} stands at leaf {index}.")
                    : new(Removed, index, null, $"The entry appended as leaf {index} is gone; later entries were moved up.")
                : originalStillThere
                    ? new(Inserted, index, entry.EventId, $"The row at leaf {index} was never appended; the entry appended there was moved down.")
                    : new(Altered, index, entry.EventId, $"Leaf {index} does not match the entry as it was appended."));
        }

        for (; expected < size; expected++) problems.Add(new(Removed, expected, null, $"Leaf {expected} has no row: the entry was removed."));

        var checkpoint = await store.LatestCheckpointAsync(logId, cancellationToken);
        if (checkpoint is not null && problems.Count == 0)
        {
            // The rows agree with the stored leaves; the leaves must still make the tree that was signed.
            var text = NoteSigner.Verify(checkpoint.Note, signer.VerifierKeys);
            var rows = checkpoint.TreeSize <= size ? RootOf(recomputed, checkpoint.TreeSize) : null;
            if (text is null || rows is null || text != CheckpointPublisher.Body(origin, checkpoint.TreeSize, rows))
            {
                problems.Add(new(CheckpointMismatch, null, null, $"The stored entries do not make the tree of the signed checkpoint of size {checkpoint.TreeSize}."));
            }
        }

        var first = problems.OrderBy(p => p.LeafIndex ?? long.MaxValue).FirstOrDefault();
        return new VerificationReport(origin, size, checkpoint?.TreeSize, problems.Count == 0, first, problems.Count);
    }

    private static byte[]? RootOf(byte[]?[] leaves, long size)
    {
        var frontier = new List<byte[]>();
        for (var i = 0L; i < size; i++)
        {
            if (leaves[i] is not { } leaf) return null;
            MerkleTree.Append(frontier, i, leaf, static (_, _, _) => { });
        }

        return MerkleTree.Root(frontier);
    }
}
