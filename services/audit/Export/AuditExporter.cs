using System.Buffers;
using System.IO.Pipelines;
using Npgsql;
using Platform.Audit.Apis;
using Platform.Audit.Data;

namespace Platform.Audit.Export;

/// <summary>
/// Streams every entry a query matches, newest first, with bounded memory whatever the count: keyset pages of
/// <see cref="PageSize"/> rows (one short query each, on the query's index, continuing after the last row's
/// (occurred_at, id)), each page formatted into one reused buffer, the connection given back, then the buffer written
/// to the response, which waits while the client is slow. The database never waits on a client, and memory holds
/// one page, never the export.
/// </summary>
internal sealed class AuditExporter(NpgsqlDataSource dataSource)
{
    public const int PageSize = 2000;

    /// <summary>The number of rows written.</summary>
    public async Task<long> ExportAsync(AuditQuery query, ExportFormat format, PipeWriter output, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        format.WriteHeader(buffer);
        (DateTimeOffset, long)? after = null;
        long rows = 0;
        while (true)
        {
            var count = 0;
            await using (var command = AuditSql.Select(dataSource, query, after, PageSize))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var row = ExportRow.Read(reader);
                    format.WriteRow(buffer, row);
                    after = (row.OccurredAt, row.Id);
                    count++;
                }
            }

            rows += count;
            if (buffer.WrittenCount > 0)
            {
                var flushed = await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
                if (flushed.IsCanceled || flushed.IsCompleted) break;
                buffer.ResetWrittenCount();
            }

            if (count < PageSize) break;
        }

        return rows;
    }
}
