using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Identity.Events;

namespace Platform.Identity.Scim;

/// <summary>
/// <c>POST /Bulk</c> (RFC 7644 section 3.7): up to <see cref="MaxOperations"/> operations in a body of at most
/// <see cref="MaxPayloadSize"/> bytes (both advertised in ServiceProviderConfig; beyond them 413), run in order, each
/// as the single request it stands for (its own transaction, its own checks and audit entries): the same code as
/// <c>/Users</c> and <c>/Groups</c>. A <c>bulkId</c> given to a POST can be referred to by later operations as
/// <c>bulkId:&lt;id&gt;</c> in a path or a value (a group's members); a reference to an unknown or failed bulkId fails
/// that operation. <c>failOnErrors</c> stops after that many failed operations. Every failed operation is audited as a
/// SCIM refusal, as the same request alone would be.
/// </summary>
internal sealed class ScimBulk(ScimUsers users, ScimGroups groups, AuditTrail audit, TimeProvider clock, IOptions<IdentityOptions> options)
{
    public const int MaxOperations = 100;
    public const int MaxPayloadSize = 1024 * 1024;
    public const string BulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    public const string BulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
    private const string Prefix = "bulkId:";

    public async Task<JsonObject> RunAsync(ScimCaller caller, JsonObject body, string method, string path, CancellationToken cancellationToken)
    {
        if (body["schemas"] is not JsonArray schemas || !schemas.Any(s => s is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == BulkRequest))
        {
            throw ScimError.InvalidSyntax($"A bulk request's schemas must include '{BulkRequest}'.");
        }

        if (body["Operations"] is not JsonArray operations) throw ScimError.InvalidSyntax("'Operations' must be an array.");
        if (operations.Count > MaxOperations) throw new ScimError(413, null, $"At most {MaxOperations} operations per bulk request (ServiceProviderConfig bulk.maxOperations).");
        int? failOnErrors = body["failOnErrors"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n > 0 => n,
            _ => throw ScimError.InvalidValue("'failOnErrors' must be a positive integer."),
        };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            if (operation is JsonObject o && o["bulkId"] is JsonValue b && b.GetValueKind() == JsonValueKind.String && !seen.Add(b.GetValue<string>()))
            {
                throw ScimError.InvalidValue("Each bulkId may be given once.");
            }
        }

        var created = new Dictionary<string, string>(StringComparer.Ordinal);
        var results = new JsonArray();
        var errors = 0;
        foreach (var operation in operations)
        {
            if (failOnErrors is { } limit && errors >= limit) break;
            var result = await RunOneAsync(caller, operation, created, cancellationToken);
            if (result["status"]!.GetValue<string>() is var status && status[0] is '4' or '5')
            {
                errors++;
                await AuditAsync(caller, method, path, result, cancellationToken);
            }

            results.Add(result);
        }

        return new JsonObject { ["schemas"] = new JsonArray(BulkResponse), ["Operations"] = results };
    }

    private async Task<JsonObject> RunOneAsync(ScimCaller caller, JsonNode? node, Dictionary<string, string> created, CancellationToken cancellationToken)
    {
        var operation = node as JsonObject;
        var method = (operation?["method"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? operation!["method"]!.GetValue<string>().ToUpperInvariant() : null;
        var bulkId = (operation?["bulkId"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? operation!["bulkId"]!.GetValue<string>() : null;
        var result = new JsonObject();
        if (method is not null) result["method"] = method;
        if (bulkId is not null) result["bulkId"] = bulkId;
        try
        {
            if (operation is null || method is null) throw ScimError.InvalidSyntax("Each operation is an object with a method.");
            if ((operation["path"] as JsonValue)?.GetValueKind() != JsonValueKind.String) throw ScimError.InvalidSyntax("Each operation has a path.");
            var (resource, id) = Target(operation["path"]!.GetValue<string>(), created);
            var version = (operation["version"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? operation["version"]!.GetValue<string>() : null;
            var data = operation["data"] is JsonObject d ? (JsonObject)Resolve(d.DeepClone(), created) : null;
            var baseUrl = ScimAdminApi.BaseUrl(options.Value.Issuer);
            (string Id, long Version) done;
            switch (method)
            {
                case "POST" when id is null:
                    if (bulkId is null) throw ScimError.InvalidSyntax("A POST operation needs a bulkId.");
                    done = resource == "Users"
                        ? Row(await users.CreateAsync(caller, Required(data), cancellationToken))
                        : Row(await groups.CreateAsync(caller, Required(data), cancellationToken));
                    created[bulkId] = done.Id;
                    result["status"] = "201";
                    break;
                case "PUT" when id is not null:
                    done = resource == "Users"
                        ? Row(await users.ReplaceAsync(caller, id, Required(data), version, cancellationToken))
                        : Row(await groups.ReplaceAsync(caller, id, Required(data), version, cancellationToken));
                    result["status"] = "200";
                    break;
                case "PATCH" when id is not null:
                    done = resource == "Users"
                        ? Row(await users.PatchAsync(caller, id, Required(data), version, cancellationToken))
                        : Row(await groups.PatchAsync(caller, id, Required(data), version, cancellationToken));
                    result["status"] = "200";
                    break;
                case "DELETE" when id is not null:
                    if (resource == "Users") await users.DeleteAsync(caller, id, version, cancellationToken);
                    else await groups.DeleteAsync(caller, id, version, cancellationToken);
                    result["location"] = $"{baseUrl}{resource}/{id}";
                    result["status"] = "204";
                    return result;
                default:
                    throw ScimError.InvalidSyntax("POST goes to /Users or /Groups; PUT, PATCH and DELETE to /Users/{id} or /Groups/{id}.");
            }

            result["location"] = $"{baseUrl}{resource}/{done.Id}";
            result["version"] = ETags.Of(done.Version);
            return result;
        }
        catch (ScimError error)
        {
            result["status"] = error.Status.ToString(CultureInfo.InvariantCulture);
            result["response"] = error.ToJson();
            return result;
        }
    }

    private static (string Id, long Version) Row(ScimUserRow row) => (row.UserId, row.Version);

    private static (string Id, long Version) Row(ScimGroupRow row) => (row.Id, row.Version);

    private static JsonObject Required(JsonObject? data) => data ?? throw ScimError.InvalidSyntax("This operation needs 'data'.");

    /// <summary>The resource type and id (a <c>bulkId:</c> reference resolved) of an operation's path.</summary>
    private static (string Resource, string? Id) Target(string path, Dictionary<string, string> created)
    {
        var parts = path.Trim('/').Split('/');
        if (parts.Length is < 1 or > 2 || parts[0] is not ("Users" or "Groups")) throw ScimError.InvalidPath("The path must be /Users, /Groups, or one of their resources.");
        if (parts.Length == 1) return (parts[0], null);
        return (parts[0], Reference(parts[1], created));
    }

    private static string Reference(string value, Dictionary<string, string> created)
    {
        if (!value.StartsWith(Prefix, StringComparison.Ordinal)) return value;
        return created.TryGetValue(value[Prefix.Length..], out var id)
            ? id
            : throw new ScimError(409, "invalidValue", $"'{new string(value.Where(c => !char.IsControl(c)).Take(64).ToArray())}' names no resource created earlier in this request.");
    }

    /// <summary>Replaces every string value <c>bulkId:x</c> in the data with the id created for x.</summary>
    private static JsonNode Resolve(JsonNode node, Dictionary<string, string> created)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Select(p => p.Key).ToList())
                {
                    if (o[name] is { } child) o[name] = Resolve(child.DeepClone(), created);
                }

                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } child) a[i] = Resolve(child.DeepClone(), created);
                }

                return a;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().StartsWith(Prefix, StringComparison.Ordinal):
                return JsonValue.Create(Reference(v.GetValue<string>(), created));
            default:
                return node;
        }
    }

    private async Task AuditAsync(ScimCaller caller, string method, string path, JsonObject result, CancellationToken cancellationToken)
    {
        var error = result["response"]!;
        var details = new Dictionary<string, string>
        {
            ["status"] = result["status"]!.GetValue<string>(),
            ["reason"] = error["scimType"]?.GetValue<string>() ?? result["status"]!.GetValue<string>() switch { "404" => "not-found", "412" => "precondition-failed", _ => "refused" },
            ["method"] = method,
            ["bulkMethod"] = result["method"]?.GetValue<string>() ?? "",
        };
        await audit.RecordAsync(caller.Request.Audit(clock.GetUtcNow(), caller.Actor, AuditActions.ScimRefused, "failure", path, caller.OrgId, details), cancellationToken);
    }
}
