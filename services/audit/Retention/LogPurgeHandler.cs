using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Audit.Log;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Audit.Retention;

/// <summary>
/// The audit service's part of a purge (SPEC RET-PURGE, README "Retention"), in the inbox's transaction: retention asks
/// for an organization's whole <c>audit_log</c> and/or <c>request_log</c> class with a cutoff each (it has left out
/// what a legal hold on the organization or the class keeps). The log stays tamper-evident:
/// <list type="bullet">
/// <item><c>audit_log</c>: the log is cut at the largest signed tree size before which every entry has expired
/// (<see cref="AuditPruner.CutAsync"/>; an <c>http.request</c> entry by the request-log cutoff when that class was asked
/// too, else it blocks the cut). Never closer than the audit service's own period for the log, at least
/// <see cref="RetentionOptions.MinDays"/> (90, SPEC AUD-RETAIN), whatever the request says. The answer names the
/// checkpoint that anchors what remains.</item>
/// <item><c>request_log</c>: expired <c>http.request</c> entries the cut did not remove lose their personal fields
/// in place (target, IP, user agent, details; as an erasure: the salted commitments kept, so every leaf, proof and
/// checkpoint stays valid).</item>
/// </list>
/// An item that is not one of audit's classes named by itself is refused; nothing expired is <c>absent</c>.
/// </summary>
internal sealed partial class LogPurgeHandler(
    AuditPruner pruner, RetentionStore store, IOptions<RetentionOptions> options, IOutbox outbox, TimeProvider time, ILogger<LogPurgeHandler> logger)
    : IIntegrationEventHandler<PurgeRequested>
{
    public const string Owner = "audit";
    private const int Batch = 1000;

    public async Task HandleAsync(PurgeRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.Owner != Owner || request.OrganizationId is not { } organizationId) return;
        var settings = options.Value;
        var now = time.GetUtcNow();
        var days = Math.Max(settings.MinDays, await store.DaysAsync(organizationId, cancellationToken) ?? settings.DefaultDays);
        var floor = now - TimeSpan.FromDays(days);
        var asked = request.Items.Where(i => i.ItemId == i.DataClass && i.DataClass is DataClasses.AuditLog or DataClasses.RequestLog)
            .GroupBy(i => i.DataClass).ToDictionary(g => g.Key, g => g.Min(i => i.ExpiredAt));
        var requestCutoff = asked.TryGetValue(DataClasses.RequestLog, out var requests) ? requests : AuditPruner.KeepEveryRequest;
        var outcomes = new List<PurgeOutcome>();
        LogCut? cut = null;
        foreach (var item in request.Items)
        {
            if (!asked.TryGetValue(item.ItemId, out var cutoff) || outcomes.Any(o => o.ItemId == item.ItemId))
            {
                if (!asked.ContainsKey(item.ItemId)) outcomes.Add(new PurgeOutcome(item.ItemId, PurgeOutcomes.Refused, null, null));
                continue;
            }

            if (item.DataClass == DataClasses.AuditLog)
            {
                var effective = cutoff < floor ? cutoff : floor;
                cut = await AuditPruner.CutAsync(organizationId, effective, requestCutoff, context.Connection, context.Transaction, cancellationToken);
                outcomes.Add(cut is null
                    ? new PurgeOutcome(item.ItemId, PurgeOutcomes.Absent, null, null)
                    : new PurgeOutcome(item.ItemId, PurgeOutcomes.Deleted, now, null, cut.Entries,
                        string.Create(CultureInfo.InvariantCulture, $"leaves {cut.From}..{cut.PrunedBefore - 1} removed; verification starts at the signed tree size {cut.PrunedBefore}, root {cut.RootHash}")));
            }
            else
            {
                var erased = await EraseRequestsAsync(organizationId, cutoff, context, cancellationToken);
                outcomes.Add(erased == 0
                    ? new PurgeOutcome(item.ItemId, PurgeOutcomes.Absent, null, null)
                    : new PurgeOutcome(item.ItemId, PurgeOutcomes.Deleted, now, null, erased,
                        "request entries' personal fields erased in place; each keeps its leaf (salted commitments), so every checkpoint still verifies"));
            }
        }

        // The cut's own entry goes through the outbox: appended now, it would wait for the log's row lock this transaction holds.
        var events = new List<IntegrationEvent>
        {
            new PurgeCompleted { OrganizationId = organizationId, OccurredAt = now, PurgeId = request.PurgeId, Owner = Owner, Items = outcomes },
        };
        if (cut is not null) events.Add(pruner.PrunedEntry(organizationId, cut, days, now));
        await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
        LogPurged(logger, request.PurgeId, organizationId, string.Join(", ", outcomes.Select(o => $"{o.ItemId} {o.Outcome} {o.Entries}")));
    }

    /// <summary>Erases the personal fields of the organization's <c>http.request</c> entries recorded before the cutoff.</summary>
    private static async Task<long> EraseRequestsAsync(string organizationId, DateTimeOffset cutoff, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        long erased = 0;
        while (true)
        {
            var entries = new List<StoredEntry>();
            await using (var select = new NpgsqlCommand($"""
                SELECT {LogStore.EntryColumns} FROM audit_events
                WHERE organization_id = $1 AND action = '{AuditDataClasses.RequestLogAction}' AND occurred_at < $2 AND erased IS NULL
                ORDER BY id LIMIT {Batch} FOR UPDATE
                """, context.Connection, context.Transaction))
            {
                select.Parameters.Add(new() { Value = organizationId });
                select.Parameters.Add(new() { Value = cutoff });
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) entries.Add(LogStore.Read(reader));
            }

            if (entries.Count == 0) return erased;
            foreach (var entry in entries) await LogStore.EraseAsync(entry, context.Connection, context.Transaction, cancellationToken);
            erased += entries.Count;
        }
    }

    [LoggerMessage(EventId = 4342, Level = LogLevel.Information, Message = "Purge {PurgeId} of {OrganizationId}: {Outcomes}")]
    private static partial void LogPurged(ILogger logger, string purgeId, string organizationId, string outcomes);
}
