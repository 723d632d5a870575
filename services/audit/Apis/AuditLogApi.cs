using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Audit.Checkpoints;
using Platform.Audit.Export;
using Platform.Audit.Log;
using Platform.Audit.Security;
using Platform.Messaging;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// The tamper-evident log (README "Tamper evidence"): verifier keys, the latest signed checkpoint of an organization's
/// log, inclusion and consistency proofs, and a verification of the stored rows. <c>organization</c> names the log;
/// without it, the log of events that have no organization (readers of every organization only), or for a customer
/// its own organization's (<see cref="AuditAccess"/>).
/// </summary>
public static class AuditLogApi
{
    public static IEndpointRouteBuilder MapAuditLogApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit");
        api.MapGet("/checkpoint-keys", Keys).WithName("GetAuditCheckpointKeys").AllowAnonymous();
        api.MapGet("/checkpoints/latest", LatestCheckpoint).WithName("GetLatestAuditCheckpoint").RequireAuthorization(AuditPolicies.Read);
        api.MapGet("/proofs/inclusion", InclusionProof).WithName("GetAuditInclusionProof").RequireAuthorization(AuditPolicies.Read);
        api.MapGet("/proofs/consistency", ConsistencyProof).WithName("GetAuditConsistencyProof").RequireAuthorization(AuditPolicies.Read);
        api.MapGet("/bundle", (Delegate)Bundle).WithName("GetAuditBundle").RequireAuthorization(AuditPolicies.Read);
        api.MapPost("/verifications", Verify).WithName("VerifyAuditLog").RequireAuthorization(AuditPolicies.Read);
        return app;
    }

    /// <summary>The verifier keys of checkpoints: the current signing key's first, then earlier ones still valid.</summary>
    public sealed record CheckpointKeys(string Current, IReadOnlyList<string> Keys);

    public sealed record Checkpoint(string Origin, long TreeSize, string RootHash, string Note, DateTimeOffset SignedAt);

    public sealed record Inclusion(string EventId, long LeafIndex, long TreeSize, string LeafData, string LeafHash, IReadOnlyList<string> AuditPath);

    public sealed record Consistency(long From, long To, IReadOnlyList<string> Proof);

    internal static Ok<CheckpointKeys> Keys(NoteSigner signer) => TypedResults.Ok(new CheckpointKeys(signer.VerifierKey, signer.VerifierKeys));

    internal static async Task<Results<Ok<Checkpoint>, ProblemHttpResult>> LatestCheckpoint(
        string? organization, HttpContext http, LogStore store, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        var checkpoint = await store.LatestCheckpointAsync(LogIds.Of(log), cancellationToken);
        if (checkpoint is null) return NoCheckpoint();
        return TypedResults.Ok(new Checkpoint(OriginLine(checkpoint.Note), checkpoint.TreeSize, Convert.ToBase64String(checkpoint.RootHash), checkpoint.Note, checkpoint.SignedAt));
    }

    internal static async Task<Results<Ok<Inclusion>, ProblemHttpResult>> InclusionProof(
        string? organization, string? eventId, string? treeSize, HttpContext http, LogStore store, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        if (!EventIds.IsUsable(eventId)) return Invalid("Give the entry's 'eventId'.");
        var logId = LogIds.Of(log);
        var (size, error) = await TreeSizeAsync(logId, treeSize, store, cancellationToken);
        if (error is not null) return error;

        // An entry of another organization's log is as absent as one that does not exist.
        var entry = await store.EntryAsync(logId, eventId!, cancellationToken);
        if (entry is null) return TypedResults.Problem(statusCode: 404, type: Problems.UnknownEntry, title: "No such audit entry", detail: "This log has no entry with that event id.");
        if (entry.LeafIndex >= size)
        {
            return TypedResults.Problem(statusCode: 400, type: Problems.TreeSizeOutOfRange, title: "The entry is not in a tree of that size",
                detail: $"The entry is leaf {entry.LeafIndex}: ask for a tree size above it.");
        }

        var leafData = LeafData.Serialize(entry.Leaf);
        var path = await MerkleTree.WithNodesAsync(node => MerkleTree.InclusionProof(entry.LeafIndex!.Value, size, node), wanted => store.NodesAsync(logId, wanted, cancellationToken));
        return TypedResults.Ok(new Inclusion(entry.EventId, entry.LeafIndex!.Value, size, Convert.ToBase64String(leafData),
            Convert.ToBase64String(MerkleTree.LeafHash(leafData)), path.Select(Convert.ToBase64String).ToList()));
    }

    internal static async Task<Results<Ok<Consistency>, ProblemHttpResult>> ConsistencyProof(
        string? organization, string? from, string? to, HttpContext http, LogStore store, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        var logId = LogIds.Of(log);
        var (newer, error) = await TreeSizeAsync(logId, to, store, cancellationToken);
        if (error is not null) return error;
        if (!long.TryParse(from, out var older) || older < 1 || older > newer)
        {
            return TypedResults.Problem(statusCode: 400, type: Problems.TreeSizeOutOfRange, title: "No consistency proof between those sizes",
                detail: $"'from' must be a tree size from 1 to 'to' ({newer}).");
        }

        var (start, _) = await store.PrunedPrefixAsync(logId, cancellationToken);
        if (older < start)
        {
            return TypedResults.Problem(statusCode: 400, type: Problems.TreeSizeOutOfRange, title: "That tree size was pruned",
                detail: $"The log keeps entries from leaf {start} on (retention): 'from' must be at least {start}.");
        }

        var proof = await MerkleTree.WithNodesAsync(node => MerkleTree.ConsistencyProof(older, newer, node), wanted => store.NodesAsync(logId, wanted, cancellationToken));
        return TypedResults.Ok(new Consistency(older, newer, proof.Select(Convert.ToBase64String).ToList()));
    }

    internal static async Task<Results<Ok<VerificationReport>, ProblemHttpResult>> Verify(
        string? organization, HttpContext http, LogVerifier verifier, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        return TypedResults.Ok(await verifier.VerifyAsync(LogIds.Of(log), cancellationToken));
    }

    /// <summary>The export bundle of a log as of its latest signed checkpoint, for offline verification (README "Export bundle").</summary>
    internal static async Task<Results<BundleResult, ProblemHttpResult>> Bundle(
        string? organization, HttpContext http, LogStore store, CheckpointPublisher publisher, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        var logId = LogIds.Of(log);
        if (await store.LatestCheckpointAsync(logId, cancellationToken) is not { } checkpoint) return NoCheckpoint();
        return new BundleResult(log, logId, publisher.OriginOf(logId), checkpoint);
    }

    /// <summary>A requested tree size (default: the latest checkpoint's), which must not exceed the log.</summary>
    private static async Task<(long Size, ProblemHttpResult? Error)> TreeSizeAsync(string logId, string? requested, LogStore store, CancellationToken cancellationToken)
    {
        var current = (await store.LogAsync(logId, cancellationToken))?.Size ?? 0;
        long size;
        if (requested is null)
        {
            if (await store.LatestCheckpointAsync(logId, cancellationToken) is not { } checkpoint) return (0, NoCheckpoint());
            size = checkpoint.TreeSize;
        }
        else if (!long.TryParse(requested, out size) || size < 1)
        {
            return (0, Invalid("'treeSize' and 'to' are tree sizes of at least 1."));
        }

        if (size > current || size < 1)
        {
            return (0, TypedResults.Problem(statusCode: 400, type: Problems.TreeSizeOutOfRange, title: "The log is not that large",
                detail: $"The log has {current} entries."));
        }

        return (size, null);
    }

    private static ProblemHttpResult NoCheckpoint() =>
        TypedResults.Problem(statusCode: 404, type: Problems.NoCheckpoint, title: "No checkpoint yet", detail: "This log has no signed checkpoint yet; one is signed every interval.");

    private static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: 400, type: Problems.InvalidQuery, title: "The query has invalid parameters", detail: detail);

    private static string OriginLine(string note) => note[..note.IndexOf('\n')];
}
