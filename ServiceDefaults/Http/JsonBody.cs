using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Platform.ServiceDefaults.Http;

/// <summary>
/// Reads a JSON request body after the caller is authenticated (model binding would parse it before), within a size
/// limit, and turns every way it can be wrong into a problem that never echoes what was sent.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, bool Present, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && string.IsNullOrEmpty(request.ContentType)))
        {
            return (default, false, null);
        }

        if (!request.HasJsonContentType())
        {
            return (default, true, TypedResults.Problem(statusCode: 415, type: ProblemTypes.UnsupportedMediaType,
                title: "Unsupported media type", detail: "Send the body as application/json."));
        }

        if (request.ContentLength > maxBytes) return (default, true, TooLarge(maxBytes));

        // Buffered up to the limit and no further, whatever Content-Length claimed (or with none, chunked).
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes) return (default, true, TooLarge(maxBytes));
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException exception)
        {
            return (default, true, TypedResults.Problem(statusCode: exception.StatusCode, type: ProblemTypes.InvalidRequest, title: "The body could not be read"));
        }

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options);
            return value is null
                ? (default, true, ProblemTypes.Invalid("The body must be a JSON object."))
                : (value, true, null);
        }
        catch (JsonException exception)
        {
            return (default, true, ProblemTypes.Invalid(Describe(exception)));
        }
    }

    /// <summary>
    /// Says where the body went wrong when the JSON path is plainly a path of this API's fields. A path made of
    /// anything else (an unknown property named like a key, say) is not repeated.
    /// </summary>
    internal static string Describe(JsonException exception)
    {
        const string general = "The body is not JSON of the documented shape: unknown or missing properties and values of the wrong type are refused.";
        var path = exception.Path;
        return path is { Length: > 1 and <= 80 } && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '$' or '.' or '[' or ']')
            ? $"{general} Look at {path}."
            : general;
    }

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        TypedResults.Problem(statusCode: 413, type: ProblemTypes.TooLarge, title: "The body is too large", detail: $"At most {maxBytes} bytes.");
}
