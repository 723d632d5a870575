using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Identity.Apis;
using Platform.Identity.Events;
using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Scim;

/// <summary>
/// <c>/scim/v2</c> (RFC 7644) for the organization of the SCIM token (<see cref="ScimAuthenticationHandler"/>): Users,
/// Groups and the discovery resources. Every refusal is a SCIM error with <c>scimType</c> where one applies, and
/// for a valid token an <c>identity.scim.refused</c> audit entry; nothing is changed by a refused request (each
/// change is one transaction, rolled back by the error).
/// </summary>
internal static class ScimApi
{
    public static IEndpointRouteBuilder MapScimApi(this IEndpointRouteBuilder app)
    {
        var scim = app.MapGroup("/scim/v2").RequireAuthorization(ScimAuthenticationHandler.PolicyName).AddEndpointFilter(RefusalsAsync).AddEndpointFilter(ClosingAsync);
        scim.MapGet("/ServiceProviderConfig", (IOptions<IdentityOptions> o) => ScimResults.Json(200, ScimDiscovery.ServiceProviderConfig(Base(o))));
        scim.MapGet("/ResourceTypes", (IOptions<IdentityOptions> o) =>
            ScimResults.Json(200, ScimRepresentation.List(2, 1, [ScimDiscovery.ResourceType(ScimSchemas.Users, Base(o)), ScimDiscovery.ResourceType(ScimSchemas.Groups, Base(o))])));
        scim.MapGet("/ResourceTypes/{name}", (string name, IOptions<IdentityOptions> o) => name switch
        {
            "User" => ScimResults.Json(200, ScimDiscovery.ResourceType(ScimSchemas.Users, Base(o))),
            "Group" => ScimResults.Json(200, ScimDiscovery.ResourceType(ScimSchemas.Groups, Base(o))),
            _ => throw ScimError.NotFound("ResourceType", name),
        });
        scim.MapGet("/Schemas", (IOptions<IdentityOptions> o) =>
        {
            var all = ScimDiscovery.Schemas(Base(o)).ToList();
            return ScimResults.Json(200, ScimRepresentation.List(all.Count, 1, all));
        });
        scim.MapGet("/Schemas/{id}", (string id, IOptions<IdentityOptions> o) =>
            ScimDiscovery.Schemas(Base(o)).FirstOrDefault(s => s["id"]!.GetValue<string>() == id) is { } schema
                ? ScimResults.Json(200, schema)
                : throw ScimError.NotFound("Schema", id));

        scim.MapGet("/Users", (HttpContext http, ApiAccess access, ScimUserStore store, IOptions<IdentityOptions> options) =>
            ListUsers(http, access, store, options, ScimListQuery.FromQueryString(http.Request.Query, ScimSchemas.Users)));
        scim.MapPost("/Users/.search", async (HttpContext http, ApiAccess access, ScimUserStore store, IOptions<IdentityOptions> options) =>
            await ListUsers(http, access, store, options, ScimListQuery.FromSearchRequest(await BodyAsync(http), ScimSchemas.Users)));
        scim.MapPost("/.search", RootSearch);
        // RFC 7644 section 3.11: a SCIM token stands for the organization's provisioning client, not a user; /Me has no one to be.
        string[] every = ["GET", "POST", "PUT", "PATCH", "DELETE"];
        scim.MapMethods("/Me", every, Me);
        scim.MapMethods("/Me/{**rest}", every, Me);
        scim.MapPost("/Users", CreateUser);
        scim.MapGet("/Users/{id}", GetUser);
        scim.MapPut("/Users/{id}", ReplaceUser);
        scim.MapPatch("/Users/{id}", PatchUser);
        scim.MapDelete("/Users/{id}", DeleteUser);
        scim.MapGet("/Groups", (HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options) =>
            ListGroups(http, access, groups, options, ScimListQuery.FromQueryString(http.Request.Query, ScimSchemas.Groups)));
        scim.MapPost("/Groups/.search", async (HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options) =>
            await ListGroups(http, access, groups, options, ScimListQuery.FromSearchRequest(await BodyAsync(http), ScimSchemas.Groups)));
        scim.MapPost("/Groups", CreateGroup);
        scim.MapGet("/Groups/{id}", GetGroup);
        // The service's 64 KiB body limit is raised here to the advertised maxPayloadSize (and checked again on read).
        scim.MapPost("/Bulk", Bulk).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ScimBulk.MaxPayloadSize + 1));
        scim.MapPut("/Groups/{id}", ReplaceGroup);
        scim.MapPatch("/Groups/{id}", PatchGroup);
        scim.MapDelete("/Groups/{id}", DeleteGroup);
        return app;
    }

    private static async Task<IResult> Bulk(HttpContext http, ApiAccess access, ScimBulk bulk)
    {
        if (http.Request.ContentLength > ScimBulk.MaxPayloadSize)
        {
            throw new ScimError(413, null, $"A bulk request is at most {ScimBulk.MaxPayloadSize} bytes (ServiceProviderConfig bulk.maxPayloadSize).");
        }

        JsonObject body;
        try
        {
            body = await BodyAsync(http);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            throw new ScimError(413, null, $"A bulk request is at most {ScimBulk.MaxPayloadSize} bytes (ServiceProviderConfig bulk.maxPayloadSize).");
        }

        return ScimResults.Json(200, await bulk.RunAsync(Caller(http, access), body, http.Request.Method, http.Request.Path, http.RequestAborted));
    }

    private static IResult Me() => throw new ScimError(501, null, "/Me is not supported: the SCIM token is the organization's provisioning client, not a user.");

    private static string Base(IOptions<IdentityOptions> options) => ScimAdminApi.BaseUrl(options.Value.Issuer);

    private static ScimCaller Caller(HttpContext http, ApiAccess access) =>
        new(http.User.FindFirst(ScimAuthenticationHandler.OrganizationClaim)!.Value, "scim:" + http.User.FindFirst(ScimAuthenticationHandler.HintClaim)!.Value, access.Request(http));

    private static async Task<IResult> ListUsers(HttpContext http, ApiAccess access, ScimUserStore store, IOptions<IdentityOptions> options, ScimListQuery query)
    {
        var caller = Caller(http, access);
        var projection = query.Projection;
        var page = await store.ListAsync(caller.OrgId, query.Filter, query.StartIndex, query.Count, http.RequestAborted, query.Sort);
        var groups = await store.GroupsOfAsync(caller.OrgId, page.Items.Select(u => u.UserId).ToList(), http.RequestAborted);
        var resources = page.Items.Select(u => Project(ScimRepresentation.User(u, groups[u.UserId], Base(options)), projection)).ToList();
        return ScimResults.Json(200, ScimRepresentation.List(page.Total, page.StartIndex, resources));
    }

    private static async Task<IResult> GetUser(string id, HttpContext http, ApiAccess access, ScimUserStore store, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var projection = ScimProjection.Parse(http.Request.Query["attributes"], http.Request.Query["excludedAttributes"], ScimSchemas.Users);
        var row = Model.Ids.IsWellFormed(id, "usr_") ? await store.GetAsync(caller.OrgId, id, http.RequestAborted) : null;
        if (row is null) throw ScimError.NotFound("User", id);
        return await UserAnswerAsync(http, caller, store, row, options, 200, projection);
    }

    private static async Task<IResult> CreateUser(HttpContext http, ApiAccess access, ScimUsers users, ScimUserStore store, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var row = await users.CreateAsync(caller, await BodyAsync(http), http.RequestAborted);
        return await UserAnswerAsync(http, caller, store, row, options, 201, null, location: true);
    }

    private static async Task<IResult> ReplaceUser(string id, HttpContext http, ApiAccess access, ScimUsers users, ScimUserStore store, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var row = await users.ReplaceAsync(caller, id, await BodyAsync(http), IfMatch(http), http.RequestAborted);
        return await UserAnswerAsync(http, caller, store, row, options, 200, null);
    }

    private static async Task<IResult> PatchUser(string id, HttpContext http, ApiAccess access, ScimUsers users, ScimUserStore store, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var row = await users.PatchAsync(caller, id, await BodyAsync(http), IfMatch(http), http.RequestAborted);
        return await UserAnswerAsync(http, caller, store, row, options, 200, null);
    }

    private static async Task<IResult> DeleteUser(string id, HttpContext http, ApiAccess access, ScimUsers users)
    {
        await users.DeleteAsync(Caller(http, access), id, IfMatch(http), http.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> ListGroups(HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options, ScimListQuery query)
    {
        var caller = Caller(http, access);
        var projection = query.Projection;
        var page = await groups.ListAsync(caller.OrgId, query.Filter, query.StartIndex, query.Count, http.RequestAborted, query.Sort);
        var names = await groups.DisplayNamesAsync(caller.OrgId, page.Items.SelectMany(g => g.Members), http.RequestAborted);
        var resources = page.Items.Select(g => Project(ScimRepresentation.Group(g, names, Base(options)), projection)).ToList();
        return ScimResults.Json(200, ScimRepresentation.List(page.Total, page.StartIndex, resources));
    }

    /// <summary>
    /// <c>POST /.search</c> at the root (RFC 7644 section 3.4.3): the search across Users and Groups. The filter
    /// applies to each type; a type that lacks an attribute the filter names has no match (section 3.4.2.2), and the
    /// request is refused only when it is invalid for both. Users come first, then Groups, each in its own order, and
    /// startIndex/count page over that sequence; totalResults is the sum.
    /// </summary>
    private static async Task<IResult> RootSearch(HttpContext http, ApiAccess access, ScimUserStore store, ScimGroups groups, IOptions<IdentityOptions> options)
    {
        var body = await BodyAsync(http);
        var (usersQuery, usersError) = TryQuery(body, ScimSchemas.Users);
        var (groupsQuery, groupsError) = TryQuery(body, ScimSchemas.Groups);
        if ((usersError ?? groupsError) is { } error && (usersQuery is null && groupsQuery is null || !IsAboutAnAttribute(error))) throw error;
        var caller = Caller(http, access);
        var (start, count) = ((usersQuery ?? groupsQuery)!.StartIndex, (usersQuery ?? groupsQuery)!.Count);
        var resources = new List<JsonObject>();
        long total = 0;
        var answered = false;
        ScimError? refused = usersError ?? groupsError;
        if (usersQuery is not null)
        {
            try
            {
                var page = await store.ListAsync(caller.OrgId, usersQuery.Filter, start, count, http.RequestAborted, usersQuery.Sort);
                var memberships = await store.GroupsOfAsync(caller.OrgId, page.Items.Select(u => u.UserId).ToList(), http.RequestAborted);
                resources.AddRange(page.Items.Select(u => Project(ScimRepresentation.User(u, memberships[u.UserId], Base(options)), usersQuery.Projection)));
                total += page.Total;
                answered = true;
            }
            catch (ScimError e) when (IsAboutAnAttribute(e))
            {
                refused ??= e;
            }
        }

        if (groupsQuery is not null)
        {
            try
            {
                // Where the Users end in the sequence, the Groups begin.
                var page = await groups.ListAsync(caller.OrgId, groupsQuery.Filter, (int)Math.Max(1, start - total), Math.Max(0, count - resources.Count), http.RequestAborted,
                    groupsQuery.Sort);
                var names = await groups.DisplayNamesAsync(caller.OrgId, page.Items.SelectMany(g => g.Members), http.RequestAborted);
                if (count > resources.Count) resources.AddRange(page.Items.Select(g => Project(ScimRepresentation.Group(g, names, Base(options)), groupsQuery.Projection)));
                total += page.Total;
                answered = true;
            }
            catch (ScimError e) when (IsAboutAnAttribute(e))
            {
                refused ??= e;
            }
        }

        if (!answered) throw refused!;
        return ScimResults.Json(200, ScimRepresentation.List(total, start, resources));
    }

    /// <summary>An attribute one resource type lacks (filter, path or sort): that type has no match at the root; anything else is a bad request.</summary>
    private static bool IsAboutAnAttribute(ScimError error) => error.ScimType is "invalidFilter" or "invalidPath" or "invalidValue";

    private static (ScimListQuery? Query, ScimError? Error) TryQuery(JsonObject body, ScimResourceSchema schema)
    {
        try
        {
            return (ScimListQuery.FromSearchRequest(body, schema), null);
        }
        catch (ScimError error)
        {
            return (null, error);
        }
    }

    private static async Task<IResult> GetGroup(string id, HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var projection = ScimProjection.Parse(http.Request.Query["attributes"], http.Request.Query["excludedAttributes"], ScimSchemas.Groups);
        var row = await groups.GetAsync(caller.OrgId, id, http.RequestAborted) ?? throw ScimError.NotFound("Group", id);
        return await GroupAnswerAsync(caller, groups, row, options, 200, projection);
    }

    private static async Task<IResult> CreateGroup(HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var row = await groups.CreateAsync(caller, await BodyAsync(http), http.RequestAborted);
        return await GroupAnswerAsync(caller, groups, row, options, 201, null, location: true);
    }

    private static async Task<IResult> ReplaceGroup(string id, HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var row = await groups.ReplaceAsync(caller, id, await BodyAsync(http), IfMatch(http), http.RequestAborted);
        return await GroupAnswerAsync(caller, groups, row, options, 200, null);
    }

    private static async Task<IResult> PatchGroup(string id, HttpContext http, ApiAccess access, ScimGroups groups, IOptions<IdentityOptions> options)
    {
        var caller = Caller(http, access);
        var row = await groups.PatchAsync(caller, id, await BodyAsync(http), IfMatch(http), http.RequestAborted);
        return await GroupAnswerAsync(caller, groups, row, options, 200, null);
    }

    private static async Task<IResult> DeleteGroup(string id, HttpContext http, ApiAccess access, ScimGroups groups)
    {
        await groups.DeleteAsync(Caller(http, access), id, IfMatch(http), http.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> UserAnswerAsync(HttpContext http, ScimCaller caller, ScimUserStore store, ScimUserRow row, IOptions<IdentityOptions> options, int status,
        ScimProjection? projection, bool location = false)
    {
        var groups = await store.GroupsOfAsync(caller.OrgId, [row.UserId], http.RequestAborted);
        var resource = ScimRepresentation.User(row, groups[row.UserId], Base(options));
        return ScimResults.Json(status, Project(resource, projection), ETags.Of(row.Version), location ? resource["meta"]!["location"]!.GetValue<string>() : null);
    }

    private static async Task<IResult> GroupAnswerAsync(ScimCaller caller, ScimGroups groups, ScimGroupRow row, IOptions<IdentityOptions> options, int status,
        ScimProjection? projection, bool location = false)
    {
        var names = await groups.DisplayNamesAsync(caller.OrgId, row.Members, CancellationToken.None);
        var resource = ScimRepresentation.Group(row, names, Base(options));
        return ScimResults.Json(status, Project(resource, projection), ETags.Of(row.Version), location ? resource["meta"]!["location"]!.GetValue<string>() : null);
    }

    private static JsonObject Project(JsonObject resource, ScimProjection? projection) => projection is null ? resource : projection.Apply(resource);

    private static string? IfMatch(HttpContext http) => http.Request.Headers.IfMatch.Count == 0 ? null : http.Request.Headers.IfMatch.ToString();

    internal static async Task<JsonObject> BodyAsync(HttpContext http)
    {
        var type = http.Request.ContentType ?? "";
        if (!type.StartsWith(ScimResults.MediaType, StringComparison.OrdinalIgnoreCase) && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ScimError(415, null, "Send the resource as application/scim+json.");
        }

        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }, cancellationToken: http.RequestAborted) as JsonObject
                ?? throw ScimError.InvalidSyntax("The body must be a JSON object.");
        }
        catch (JsonException)
        {
            throw ScimError.InvalidSyntax("The body is not valid JSON.");
        }
    }

    /// <summary>Turns a <see cref="ScimError"/> into its answer and audits it as a refusal of the token's organization.</summary>
    /// <summary>
    /// SPEC RET-CLOSE: while the token's organization is closing (or closed) every change is refused with 409, as the
    /// organization API refuses it (<see cref="Closure.ClosingOrganizations"/>, audited there), in a SCIM error body
    /// (RFC 7644 section 3.12) that also carries the problem's <c>type</c>, <c>closureId</c> and <c>graceEndsAt</c>.
    /// Reads and searches (<c>POST …/.search</c>) go on.
    /// </summary>
    private static async ValueTask<object?> ClosingAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.Path.Value?.EndsWith("/.search", StringComparison.Ordinal) == true) return await next(context);
        var caller = Caller(http, http.RequestServices.GetRequiredService<ApiAccess>());
        var refusal = await http.RequestServices.GetRequiredService<Closure.ClosingOrganizations>().RefusalAsync(http, caller.OrgId, caller.Actor, caller.Request);
        if (refusal is not Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult { ProblemDetails: var problem }) return await next(context);
        var body = new ScimError(409, null, problem.Detail ?? "The organization is closing.").ToJson();
        body["type"] = problem.Type;
        foreach (var (name, value) in problem.Extensions)
        {
            if (value is not null) body[name] = JsonValue.Create(value is DateTimeOffset time ? time.ToString("O", CultureInfo.InvariantCulture) : value.ToString());
        }

        return ScimResults.Json(409, body);
    }

    private static async ValueTask<object?> RefusalsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ScimError error)
        {
            var http = context.HttpContext;
            var services = http.RequestServices;
            var access = services.GetRequiredService<ApiAccess>();
            var caller = Caller(http, access);
            var details = new Dictionary<string, string>
            {
                ["status"] = error.Status.ToString(CultureInfo.InvariantCulture),
                ["reason"] = error.ScimType ?? error.Status switch { 404 => "not-found", 403 => "forbidden", 412 => "precondition-failed", _ => "refused" },
                ["method"] = http.Request.Method,
            };
            await services.GetRequiredService<AuditTrail>().RecordAsync(
                caller.Request.Audit(services.GetRequiredService<TimeProvider>().GetUtcNow(), caller.Actor, AuditActions.ScimRefused, "failure", http.Request.Path, caller.OrgId, details),
                CancellationToken.None);
            return ScimResults.Error(error);
        }
    }
}
