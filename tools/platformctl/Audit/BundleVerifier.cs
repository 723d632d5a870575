using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.Audit.Log;

namespace Platform.Ctl.Audit;

/// <summary>The outcome of verifying a bundle: as the service's verification reports it, plus what was checked.</summary>
internal sealed record BundleReport(
    string Origin, long TreeSize, long Start, long Entries, string KeyName, bool Verified, VerificationProblem? FirstProblem, int ProblemCount, string? Note);

/// <summary>A bundle that is not one: a message for the user, exit code 2.</summary>
internal sealed class BundleFormatException(string message) : Exception(message);

/// <summary>
/// Verifies an export bundle offline (services/audit/README.md "Export bundle"):
/// <list type="number">
/// <item>the checkpoint note carries a valid signature by one of the given verifier keys;</item>
/// <item>each entry's readable fields, with the salts of its personal fields, re-make its leaf data exactly;</item>
/// <item>the stored leaf hashes with the subtrees of the pruned prefix make the signed root — then they are the
/// hashes the service appended, and each entry is compared with the one at its place (<see cref="LeafComparison"/>),
/// which names the first entry altered, removed, inserted or reordered;</item>
/// <item>the entries themselves make the signed root.</item>
/// </list>
/// </summary>
internal static class BundleVerifier
{
    public const string Format = "platform.dev/audit-bundle/v1";

    public static async Task<BundleReport> VerifyAsync(Stream bundle, IReadOnlyList<SignedNote.VerifierKey> keys, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(bundle, Encoding.UTF8);
        var header = await reader.ReadLineAsync(cancellationToken) ?? throw new BundleFormatException("The bundle is empty.");
        var (origin, size, root, start, prefix, keyName) = Header(header, keys);
        var stored = new byte[]?[size - start];
        var rows = new List<FoundLeaf>();
        var problems = new List<VerificationProblem>();
        var lineNumber = 1;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var element = document.RootElement;
                if (element.TryGetProperty("leaves", out var from)) Leaves(from.GetInt64(), element.GetProperty("hashes"), start, stored);
                else rows.Add(Entry(element, problems));
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                throw new BundleFormatException($"Line {lineNumber} of the bundle is not a bundle line ({exception.GetType().Name}).");
            }
        }

        // Rows in the order of the places they claim, whatever the order of the lines.
        rows = [.. rows.OrderBy(r => r.LeafIndex ?? long.MaxValue)];
        var storedAuthentic = LeafComparison.Root(start, prefix, stored, size) is { } storedRoot && storedRoot.AsSpan().SequenceEqual(root);
        var recomputed = new byte[]?[size - start];
        // Stored hashes that do not make the signed root are no evidence of what was appended: compare places only.
        problems.AddRange(LeafComparison.Compare(start, storedAuthentic ? stored : new byte[]?[size - start], rows, recomputed));
        var rowsRoot = LeafComparison.Root(start, prefix, recomputed, size);
        if (problems.Count == 0 && (rowsRoot is null || !rowsRoot.AsSpan().SequenceEqual(root)))
        {
            problems.Add(new(LeafComparison.CheckpointMismatch, null, null,
                $"The entries do not make the tree of the signed checkpoint of size {size}, and the bundle's stored leaf hashes do not either: the entry cannot be named."));
        }

        var note = problems.Count == 0 && !storedAuthentic ? "The bundle's stored leaf hashes differ from the checkpoint, but every entry is as signed." : null;
        return new BundleReport(origin, size, start, rows.Count, keyName, problems.Count == 0, LeafComparison.First(problems), problems.Count, note);
    }

    private static (string Origin, long Size, byte[] Root, long Start, List<byte[]> Prefix, string KeyName) Header(string line, IReadOnlyList<SignedNote.VerifierKey> keys)
    {
        JsonElement header;
        try
        {
            header = JsonDocument.Parse(line).RootElement;
        }
        catch (JsonException)
        {
            throw new BundleFormatException("The bundle's first line is not its header.");
        }

        if (!header.TryGetProperty("format", out var format) || format.GetString() != Format) throw new BundleFormatException($"Not a bundle of format {Format}.");
        var note = header.GetProperty("checkpoint").GetString() ?? "";
        var opened = SignedNote.Open(note, keys)
            ?? throw new VerificationFailedException("The bundle's checkpoint is not signed by any of the given keys (or was changed after signing).");
        // C2SP tlog-checkpoint: origin, tree size, base64 root, then optional extension lines.
        var lines = opened.Text.Split('\n');
        if (lines.Length < 4 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)) throw new BundleFormatException("The checkpoint is malformed.");
        var root = Convert.FromBase64String(lines[2]);
        var start = header.GetProperty("start").GetInt64();
        var prefix = header.GetProperty("prefix").EnumerateArray().Select(h => h.GetBytesFromBase64()).ToList();
        if (start < 0 || start > size || prefix.Count != MerkleTree.Frontier(start).Count || root.Length != MerkleTree.HashSize)
        {
            throw new BundleFormatException("The bundle's pruned prefix does not fit its checkpoint.");
        }

        return (lines[0], size, root, start, prefix, opened.KeyName);
    }

    private static void Leaves(long from, JsonElement hashes, long start, byte[]?[] stored)
    {
        var i = from - start;
        foreach (var hash in hashes.EnumerateArray())
        {
            if (i < 0 || i >= stored.Length) throw new FormatException("A leaf hash outside the checkpoint's tree.");
            stored[i++] = hash.ValueKind == JsonValueKind.Null ? null : hash.GetBytesFromBase64();
        }
    }

    /// <summary>An entry's place and the leaf hash of its readable fields; a field that does not match its leaf data is a problem.</summary>
    private static FoundLeaf Entry(JsonElement entry, List<VerificationProblem> problems)
    {
        long? leafIndex = entry.GetProperty("leafIndex").ValueKind == JsonValueKind.Null ? null : entry.GetProperty("leafIndex").GetInt64();
        var eventId = entry.GetProperty("eventId").GetString()!;
        var salts = entry.GetProperty("salts");
        var erased = entry.GetProperty("erased");
        byte[]? Commitment(string field, string erasedName, Func<byte[], byte[]?> commit)
        {
            if (salts.TryGetProperty(field, out var salt) && entry.GetProperty(field).ValueKind != JsonValueKind.Null) return commit(salt.GetBytesFromBase64());
            return erased.ValueKind == JsonValueKind.Object && erased.TryGetProperty(erasedName, out var kept) ? Convert.FromBase64String(kept.GetString()!) : null;
        }

        var fields = new LeafData.Fields(
            eventId, DateTimeOffset.UnixEpoch.AddTicks(entry.GetProperty("occurredAt").GetInt64() * 10), Text(entry, "organizationId"),
            Text(entry, "actor") ?? "", Text(entry, "action") ?? "", Text(entry, "outcome") ?? "", Text(entry, "requestId"), Text(entry, "region"),
            Commitment("target", "target", salt => LeafData.Commit(salt, Text(entry, "target"))),
            Commitment("ip", "ip", salt => LeafData.Commit(salt, Text(entry, "ip"))),
            Commitment("userAgent", "user_agent", salt => LeafData.Commit(salt, Text(entry, "userAgent"))),
            Commitment("details", "details", salt => LeafData.CommitDetails(salt, entry.GetProperty("details").Deserialize<Dictionary<string, string>>())));
        var leaf = LeafData.Serialize(fields);
        if (!leaf.AsSpan().SequenceEqual(entry.GetProperty("leafData").GetBytesFromBase64()))
        {
            problems.Add(new(LeafComparison.Altered, leafIndex, eventId, "The entry's fields do not match its leaf data: the bundle was changed after it was made."));
        }

        return new FoundLeaf(leafIndex, eventId, MerkleTree.LeafHash(leaf));
    }

    private static string? Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>A bundle whose checkpoint no given key signed: not verified (exit code 1).</summary>
internal sealed class VerificationFailedException(string message) : Exception(message);
