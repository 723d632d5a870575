using Platform.Audit.Checkpoints;

namespace Platform.Audit.Log;

/// <summary>The outcome of re-computing a log from the stored rows.</summary>
internal sealed record VerificationReport(
    string Origin, long TreeSize, long? CheckpointSize, bool Verified, VerificationProblem? FirstProblem, int ProblemCount);

/// <summary>
/// Re-computes a log from the stored rows (README "Verifying"): every row's leaf against the leaf hash stored when it
/// was appended, and the tree of the rows against the latest signed checkpoint. Names the first entry that was
/// altered, removed, inserted or reordered, in log order.
/// </summary>
internal sealed class LogVerifier(LogStore store, NoteSigner signer, CheckpointPublisher publisher)
{
    public async Task<VerificationReport> VerifyAsync(string logId, CancellationToken cancellationToken)
    {
        var origin = publisher.OriginOf(logId);
        var size = (await store.LogAsync(logId, cancellationToken))?.Size ?? 0;
        var (start, prefix) = await store.PrunedPrefixAsync(logId, cancellationToken);
        var stored = await store.LeafHashesAsync(logId, start, size, cancellationToken);
        var rows = new List<FoundLeaf>();
        await foreach (var entry in store.EntriesAsync(logId, cancellationToken))
        {
            rows.Add(new FoundLeaf(entry.LeafIndex, entry.EventId, MerkleTree.LeafHash(LeafData.Serialize(entry.Leaf))));
        }

        var recomputed = new byte[]?[size - start];
        var problems = LeafComparison.Compare(start, stored, rows, recomputed);

        var checkpoint = await store.LatestCheckpointAsync(logId, cancellationToken);
        if (checkpoint is not null && problems.Count == 0)
        {
            // The rows agree with the stored leaves; the leaves must still make the tree that was signed.
            var text = NoteSigner.Verify(checkpoint.Note, signer.VerifierKeys);
            var root = checkpoint.TreeSize <= size && checkpoint.TreeSize >= start ? LeafComparison.Root(start, prefix, recomputed, checkpoint.TreeSize) : null;
            if (text is null || root is null || text != CheckpointPublisher.Body(origin, checkpoint.TreeSize, root))
            {
                problems.Add(new(LeafComparison.CheckpointMismatch, null, null, $"The stored entries do not make the tree of the signed checkpoint of size {checkpoint.TreeSize}."));
            }
        }

        var first = LeafComparison.First(problems);
        return new VerificationReport(origin, size, checkpoint?.TreeSize, problems.Count == 0, first, problems.Count);
    }
}
