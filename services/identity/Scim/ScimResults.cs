using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

/// <summary>SCIM answers: <c>application/scim+json</c> (RFC 7644 section 3.1), ETags from <c>meta.version</c>.</summary>
internal static class ScimResults
{
    public const string MediaType = "application/scim+json";

    public static Task WriteAsync(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = MediaType + "; charset=utf-8";
        return http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    public static IResult Json(int status, JsonNode body, string? etag = null, string? location = null) => new JsonResult(status, body, etag, location);

    public static IResult Error(ScimError error) => new JsonResult(error.Status, error.ToJson(), null, null);

    private sealed class JsonResult(int status, JsonNode body, string? etag, string? location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            if (etag is not null) http.Response.Headers.ETag = etag;
            if (location is not null) http.Response.Headers.Location = location;
            return WriteAsync(http, status, body);
        }
    }
}
