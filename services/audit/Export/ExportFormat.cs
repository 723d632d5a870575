using System.Buffers;

namespace Platform.Audit.Export;

/// <summary>How an export writes its rows: a media type, a file extension, an optional header, then one record per row.</summary>
internal abstract class ExportFormat
{
    public abstract string ContentType { get; }

    public abstract string Extension { get; }

    public virtual void WriteHeader(IBufferWriter<byte> output)
    {
    }

    public abstract void WriteRow(IBufferWriter<byte> output, in ExportRow row);

    /// <summary>A fresh writer per export: formats may keep per-export state (a reused JSON writer).</summary>
    public static ExportFormat Create(string name) => name switch
    {
        "csv" => new CsvFormat(),
        "ndjson" => new NdjsonFormat(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not an export format."),
    };
}
