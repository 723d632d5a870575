using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

/// <summary>
/// A refused SCIM request (RFC 7644 section 3.12): the status, the <c>scimType</c> when the RFC defines one for it, and
/// a detail that names no secret. Thrown inside the SCIM code and turned into the error body by <see cref="ScimApi"/>.
/// </summary>
internal sealed class ScimError(int status, string? scimType, string detail) : Exception(detail)
{
    public const string ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

    public int Status { get; } = status;

    public string? ScimType { get; } = scimType;

    public string Detail { get; } = detail;

    public static ScimError InvalidFilter(string detail) => new(400, "invalidFilter", detail);

    public static ScimError InvalidPath(string detail) => new(400, "invalidPath", detail);

    public static ScimError InvalidValue(string detail) => new(400, "invalidValue", detail);

    public static ScimError InvalidSyntax(string detail) => new(400, "invalidSyntax", detail);

    public static ScimError Mutability(string detail) => new(400, "mutability", detail);

    public static ScimError NoTarget(string detail) => new(400, "noTarget", detail);

    public static ScimError Uniqueness(string detail) => new(409, "uniqueness", detail);

    public static ScimError NotFound(string what, string id) => new(404, null, $"{what} {Describe(id)} not found.");

    public static ScimError PreconditionFailed() => new(412, null, "The resource has changed since the version in If-Match.");

    public static ScimError Forbidden(string detail) => new(403, null, detail);

    /// <summary>An id as sent, shortened and without control characters, for the detail text.</summary>
    private static string Describe(string id)
    {
        var clean = new string(id.Where(c => !char.IsControl(c)).Take(64).ToArray());
        return $"'{clean}'";
    }

    public JsonObject ToJson()
    {
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(ErrorSchema),
            ["status"] = Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["detail"] = Detail,
        };
        if (ScimType is not null) body["scimType"] = ScimType;
        return body;
    }
}
