using System.Text.Json;
using Platform.Gateway.Events;

namespace Platform.Gateway.Auditing;

/// <summary>
/// Reads the spool from its checkpoint: whole lines only (a line still being written is left for later),
/// segment after segment, deleting a segment once it is confirmed to its end.
/// </summary>
internal sealed class SpoolReader : IDisposable
{
    private const int ChunkBytes = 1024 * 1024;
    private readonly SpoolFolder folder;
    private readonly byte[] buffer = new byte[ChunkBytes];
    private long segment;
    private long offset;
    private long pendingOffset;
    private FileStream? stream;

    public SpoolReader(SpoolFolder folder)
    {
        this.folder = folder;
        (segment, offset) = folder.ReadCheckpoint();
        pendingOffset = offset;
    }

    /// <summary>
    /// Up to <paramref name="max"/> whole lines from the checkpoint on, as they are: each was serialized once on its way
    /// in and is published without being read into an object again. A line that is not one JSON object is counted in
    /// <paramref name="corrupt"/> and passed over.
    /// </summary>
    public List<SpooledAuditEvent> ReadBatch(int max, out int corrupt)
    {
        corrupt = 0;
        var events = new List<SpooledAuditEvent>();
        if (!EnsureOpen()) return events;

        stream!.Position = offset;
        var read = stream.Read(buffer, 0, buffer.Length);
        var consumed = 0;
        while (events.Count + corrupt < max)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', consumed, read - consumed);
            if (newline < 0) break;
            var line = buffer.AsSpan(consumed, newline - consumed);
            if (IsJsonObject(line))
            {
                events.Add(new SpooledAuditEvent(line.ToArray()));
            }
            else
            {
                corrupt++;
            }

            consumed = newline + 1;
        }

        pendingOffset = offset + consumed;
        // Lines that could not be read are passed over with the batch, not retried forever.
        if (events.Count == 0 && corrupt > 0) Commit();
        return events;
    }

    /// <summary>Records that everything read so far was confirmed.</summary>
    public void Commit()
    {
        offset = pendingOffset;
        folder.WriteCheckpoint(segment, offset);
    }

    /// <summary>
    /// Moves to the next segment when the current one is finished (a newer one exists, so the writer is done with
    /// it) and fully read. Returns false when there is nothing to do but wait.
    /// </summary>
    public bool AdvanceIfComplete(out long lostBytes)
    {
        lostBytes = 0;
        var segments = folder.Segments();
        var next = segments.FirstOrDefault(s => s > segment);
        if (next == 0) return false;
        if (EnsureOpen())
        {
            var remaining = stream!.Length - offset;
            if (remaining > 0)
            {
                // The writer may have finished a line between our read and starting the next segment.
                stream.Position = offset;
                var read = stream.Read(buffer, 0, (int)Math.Min(remaining, buffer.Length));
                if (Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0) return true;
                lostBytes = remaining;
            }

            stream.Dispose();
            stream = null;
            File.Delete(folder.SegmentPath(segment));
        }

        segment = next;
        offset = pendingOffset = 0;
        folder.WriteCheckpoint(segment, offset);
        return true;
    }

    public void Dispose() => stream?.Dispose();

    /// <summary>One JSON object and nothing after it: what the writer puts on a line, and what a torn or garbled line is not.</summary>
    internal static bool IsJsonObject(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private bool EnsureOpen()
    {
        if (stream is not null) return true;
        var path = folder.SegmentPath(segment);
        if (!File.Exists(path)) return false;
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return true;
    }
}
