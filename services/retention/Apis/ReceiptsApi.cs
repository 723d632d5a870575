using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Platform.Retention.Purge;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// The organization's purge receipts — deletions, and expired items skipped because of a legal hold — newest first, a
/// page at a time (<c>limit</c> 1…500, default 100; <c>after</c> the cursor of the previous page's <c>next</c> link: the
/// receipts' ids are stable, so paging sees every receipt once), with the key that verifies their signatures, and
/// how many purged items are still awaited from their owners (and how many of those are overdue): a purge that fails
/// is visible here, not only in logs. Owners and Admins.
/// </summary>
public static class ReceiptsApi
{
    private const string CursorPrefix = "rcpt_";

    public static IEndpointRouteBuilder MapReceiptsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/retention/receipts", ListReceipts).WithName("ListDeletionReceipts").RequireAuthorization(RetentionPolicies.Manage);
        return app;
    }

    internal static async Task<Results<Ok<ReceiptsResponse>, ProblemHttpResult>> ListReceipts(
        int? limit, string? after, HttpContext http, NpgsqlDataSource dataSource, ReceiptSigner signer, IOptions<PurgeOptions> options, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 500) return await Problems.InvalidAsync(http, "limit is from 1 to 500.");
        long? cursor = null;
        if (after is not null)
        {
            if (!after.StartsWith(CursorPrefix, StringComparison.Ordinal) || !long.TryParse(after.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                return await Problems.InvalidAsync(http, "after is the cursor of a previous page's next link (rcpt_<number>).");
            cursor = id;
        }

        var organizationId = http.User.OrganizationId()!;
        var size = limit ?? 100;
        var rows = new List<(long Id, ReceiptResponse Receipt)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT id, kind, receipt, signature FROM purge_receipts WHERE organization_id = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2"))
        {
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = size + 1 });
            command.Parameters.Add(new() { Value = (object?)cursor ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) rows.Add((reader.GetInt64(0), new ReceiptResponse(reader.GetString(2), reader.GetString(3), reader.GetString(1))));
        }

        var receipts = rows.Take(size).Select(r => r.Receipt).ToList();
        var next = rows.Count > size ? string.Create(CultureInfo.InvariantCulture, $"/v1/retention/receipts?limit={size}&after={CursorPrefix}{rows[size - 1].Id}") : null;

        await using var pending = dataSource.CreateCommand("""
            SELECT count(*), count(*) FILTER (WHERE purge_attempts > $2) FROM tracked_objects
            WHERE organization_id = $1 AND gone_at IS NULL AND purge_requested_at IS NOT NULL
            """);
        pending.Parameters.Add(new() { Value = organizationId });
        pending.Parameters.Add(new() { Value = options.Value.AlertAfterAttempts });
        await using var counts = await pending.ExecuteReaderAsync(cancellationToken);
        await counts.ReadAsync(cancellationToken);
        return TypedResults.Ok(new ReceiptsResponse(organizationId, signer.VerifierKey, counts.GetInt64(0), counts.GetInt64(1), receipts, next));
    }
}

/// <summary>
/// A signed receipt: <see cref="Receipt"/> is the signed JSON text, <see cref="Signature"/> its Ed25519 signature (base64),
/// <see cref="Kind"/> <c>deleted</c> or <c>skipped</c> (a legal hold kept the expired item).
/// </summary>
public sealed record ReceiptResponse(string Receipt, string Signature, string Kind);

/// <summary>A page of receipts; <see cref="Next"/> is the next page's link, null on the last.</summary>
public sealed record ReceiptsResponse(string OrganizationId, string VerifierKey, long PendingPurges, long OverduePurges, IReadOnlyList<ReceiptResponse> Items, string? Next);
