namespace Platform.Messaging.Contracts;

/// <summary>
/// The closed list of data classes (SPEC RET-POLICY): every stored item of every service has exactly one, and the
/// retention service keeps a policy per organization and class. Shared here, beside the events that carry a class
/// (<c>object.stored</c>, retention's purge requests), so that producers and retention cannot drift apart. The API and
/// wire name of a class is its snake_case text; <see cref="DataClass.Owner"/> is the service that stores and deletes it.
/// </summary>
public static class DataClasses
{
    public const string Image = "image";
    public const string DetectionResult = "detection_result";
    public const string Annotation = "annotation";
    public const string Artifact = "artifact";
    public const string ModelWeights = "model_weights";
    public const string Heatmap = "heatmap";
    public const string RequestLog = "request_log";
    public const string AuditLog = "audit_log";
    public const string BillingRecord = "billing_record";

    public static readonly IReadOnlyList<DataClass> All =
    [
        new(Image, "storage"),
        new(DetectionResult, "storage"),
        new(Annotation, "storage"),
        new(Artifact, "storage"),
        new(ModelWeights, "storage"),
        new(Heatmap, "storage"),
        new(RequestLog, "audit"),
        new(AuditLog, "audit"),
        new(BillingRecord, "billing"),
    ];

    public static readonly IReadOnlyList<string> Names = All.Select(c => c.Name).ToArray();

    /// <summary>The classes whose items <paramref name="owner"/> stores (e.g. storage's object classes).</summary>
    public static IReadOnlyList<string> OwnedBy(string owner) => All.Where(c => c.Owner == owner).Select(c => c.Name).ToArray();

    public static bool IsKnown(string? name) => name is not null && Names.Contains(name, StringComparer.Ordinal);
}

/// <summary>One data class: its wire name and the service that owns its items.</summary>
public sealed record DataClass(string Name, string Owner);
