using System.Text.Json;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Model;

namespace Platform.Retention.Dsar;

/// <summary>
/// What a request asks of every service: an export (access, portability) or an erasure with the organization's active
/// legal holds that concern the person (the organization, the person, datasets and data classes).
/// </summary>
internal static class SubjectAsks
{
    public static ClosureHolds HoldsFor(IReadOnlyList<LegalHold> active, string subjectUserId) => new(
        active.Any(h => h.Scope == HoldScopes.Organization),
        Targets(active, HoldScopes.Dataset), Targets(active, HoldScopes.DataClass),
        active.Any(h => h.Scope == HoldScopes.User && h.Target == subjectUserId) ? [subjectUserId] : []);

    public static IntegrationEvent Ask(SubjectRequest request, ClosureHolds? holds, DateTimeOffset now) => request.IsExport
        ? new SubjectExportRequested
        {
            OrganizationId = request.OrganizationId, OccurredAt = now, RequestId = request.Id, SubjectUserId = request.SubjectUserId, IncludeObjects = request.IncludeObjects,
        }
        : new SubjectErasureRequested
        {
            OrganizationId = request.OrganizationId, OccurredAt = now, RequestId = request.Id, SubjectUserId = request.SubjectUserId, Holds = holds ?? ClosureHolds.None,
        };

    /// <summary>Storage's round of an export: the person and the API keys they created (from keys' stored answer) as uploaders.</summary>
    public static SubjectExportRequested UploadersAsk(SubjectRequest request, string keysAnswer, DateTimeOffset now)
    {
        var actors = new List<string> { request.SubjectUserId };
        var part = JsonSerializer.Deserialize<ExportPart>(keysAnswer, JsonSerializerOptions.Web);
        if (part?.Sections.TryGetValue("apiKeys", out var keys) == true && keys.ValueKind == JsonValueKind.Array)
            actors.AddRange(keys.EnumerateArray().Select(k => k.GetProperty("id").GetString()!));
        return new SubjectExportRequested
        {
            OrganizationId = request.OrganizationId, OccurredAt = now, RequestId = request.Id, SubjectUserId = request.SubjectUserId, IncludeObjects = request.IncludeObjects,
            Actors = actors,
        };
    }

    public const string KeysParticipant = "keys";

    public static bool IsStorage(string participant) => participant.StartsWith("storage", StringComparison.Ordinal);

    public static string? Serialize(ClosureHolds? holds) => holds is null ? null : JsonSerializer.Serialize(holds, JsonSerializerOptions.Web);

    public static ClosureHolds? Deserialize(string? holds) => holds is null ? null : JsonSerializer.Deserialize<ClosureHolds>(holds, JsonSerializerOptions.Web);

    private static string[] Targets(IEnumerable<LegalHold> active, string scope) => active.Where(h => h.Scope == scope).Select(h => h.Target).Order(StringComparer.Ordinal).ToArray();
}
