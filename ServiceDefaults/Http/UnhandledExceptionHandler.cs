using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Http;

/// <summary>
/// Whatever escapes a handler becomes a bare RFC 9457 problem: its status when it is a bad request, otherwise 500,
/// and never the message or stack trace, which can carry internals.
/// </summary>
public sealed partial class UnhandledExceptionHandler(IProblemDetailsService problemDetails, ILogger<UnhandledExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, type, title) = exception is BadHttpRequestException bad
            ? (bad.StatusCode, ProblemTypes.InvalidRequest, "The request could not be read")
            : (StatusCodes.Status500InternalServerError, "https://tools.ietf.org/html/rfc9110#section-15.6.1", "An unexpected error occurred");
        if (status >= 500)
        {
            // The endpoint name, not the path: a path may hold whatever a client typed, a key included.
            LogUnhandled(logger, httpContext.GetEndpoint()?.DisplayName ?? "(no endpoint)", httpContext.TraceIdentifier, exception);
        }

        httpContext.Response.StatusCode = status;
        await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Type = type, Title = title },
        });
        return true;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unhandled exception in {Endpoint}, request {TraceIdentifier}")]
    private static partial void LogUnhandled(ILogger logger, string endpoint, string traceIdentifier, Exception exception);
}
