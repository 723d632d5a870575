using System.Text.Json;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Audit.SubjectRequests;

/// <summary>
/// The audit log's part of a data-subject access/portability archive (SPEC RET-DSAR): the organization's entries about
/// the person (<see cref="SubjectEntries.About"/>), oldest first, at most <see cref="MaxEntries"/> (the rest counted in
/// <c>truncated</c>), with their readable fields (an erased field is absent). Read in the inbox's transaction.
/// </summary>
internal sealed partial class SubjectExportHandler(IOutbox outbox, TimeProvider time, ILogger<SubjectExportHandler> logger) : IIntegrationEventHandler<SubjectExportRequested>
{
    public const int MaxEntries = 10_000;

    public async Task HandleAsync(SubjectExportRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.OrganizationId is not { } organizationId || request.Actors is not null) return;
        var entries = new List<object>();
        long total = 0;
        await using (var command = new NpgsqlCommand($"""
            SELECT event_id, occurred_at, actor, action, outcome, target, ip, user_agent, details::text, request_id, region, erased IS NOT NULL, count(*) OVER ()
            FROM audit_events WHERE {SubjectEntries.About} ORDER BY occurred_at, id LIMIT {MaxEntries}
            """, context.Connection, context.Transaction))
        {
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = request.SubjectUserId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                entries.Add(new
                {
                    eventId = reader.GetString(0), occurredAt = reader.GetFieldValue<DateTimeOffset>(1), actor = reader.GetString(2), action = reader.GetString(3),
                    outcome = reader.GetString(4), target = Text(5), ip = Text(6), userAgent = Text(7),
                    details = Text(8) is { } details ? JsonSerializer.Deserialize<Dictionary<string, string>>(details) : null,
                    requestId = Text(9), region = Text(10), erased = reader.GetBoolean(11),
                });
                total = reader.GetInt64(12);
            }
        }

        await outbox.EnqueueAsync(new SubjectExportAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = SubjectEntries.Participant,
            Sections = new Dictionary<string, JsonElement> { ["auditEntries"] = JsonSerializer.SerializeToElement(entries, JsonSerializerOptions.Web) },
            Truncated = total > MaxEntries ? new Dictionary<string, long> { ["auditEntries"] = total - MaxEntries } : new Dictionary<string, long>(),
        }, context.Transaction, cancellationToken);
        LogExported(logger, request.RequestId, organizationId, total);
    }

    [LoggerMessage(EventId = 7601, Level = LogLevel.Information, Message = "Data-subject request {RequestId} of {OrganizationId}: audit's part answered ({Entries} entries)")]
    private static partial void LogExported(ILogger logger, string requestId, string organizationId, long entries);
}
