using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Retention.Purge;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// The organization's deletion receipts, newest first (at most 500), with the key that verifies their signatures, and
/// how many purged items are still awaited from their owners (and how many of those are overdue): a purge that fails
/// is visible here, not only in logs. Owners and Admins.
/// </summary>
public static class ReceiptsApi
{
    public static IEndpointRouteBuilder MapReceiptsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/retention/receipts", ListReceipts).WithName("ListDeletionReceipts").RequireAuthorization(RetentionPolicies.Manage);
        return app;
    }

    internal static async Task<Results<Ok<ReceiptsResponse>, ProblemHttpResult>> ListReceipts(
        int? limit, HttpContext http, NpgsqlDataSource dataSource, ReceiptSigner signer, IOptions<PurgeOptions> options, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 500) return await Problems.InvalidAsync(http, "limit is from 1 to 500.");
        var organizationId = http.User.OrganizationId()!;
        var receipts = new List<ReceiptResponse>();
        await using (var command = dataSource.CreateCommand("SELECT receipt, signature FROM purge_receipts WHERE organization_id = $1 ORDER BY deleted_at DESC, item_id LIMIT $2"))
        {
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = limit ?? 100 });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) receipts.Add(new ReceiptResponse(reader.GetString(0), reader.GetString(1)));
        }

        await using var pending = dataSource.CreateCommand("""
            SELECT count(*), count(*) FILTER (WHERE purge_attempts > $2) FROM tracked_objects
            WHERE organization_id = $1 AND gone_at IS NULL AND purge_requested_at IS NOT NULL
            """);
        pending.Parameters.Add(new() { Value = organizationId });
        pending.Parameters.Add(new() { Value = options.Value.AlertAfterAttempts });
        await using var counts = await pending.ExecuteReaderAsync(cancellationToken);
        await counts.ReadAsync(cancellationToken);
        return TypedResults.Ok(new ReceiptsResponse(organizationId, signer.VerifierKey, counts.GetInt64(0), counts.GetInt64(1), receipts));
    }
}

/// <summary>A signed receipt: <see cref="Receipt"/> is the signed JSON text, <see cref="Signature"/> its Ed25519 signature (base64).</summary>
public sealed record ReceiptResponse(string Receipt, string Signature);

public sealed record ReceiptsResponse(string OrganizationId, string VerifierKey, long PendingPurges, long OverduePurges, IReadOnlyList<ReceiptResponse> Items);
