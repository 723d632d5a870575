using Microsoft.AspNetCore.Diagnostics;

namespace Platform.Gateway.Errors;

/// <summary>
/// Turns any exception that escapes the pipeline into a bare RFC 9457 problem: status 500 and a generic title,
/// never the message or stack trace, which can carry internals or secrets.
/// </summary>
internal sealed partial class UnhandledExceptionHandler(IProblemDetailsService problemDetails, ILogger<UnhandledExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        LogUnhandled(logger, httpContext.Request.Method, httpContext.TraceIdentifier, exception);

        httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status500InternalServerError,
                Type = "https://tools.ietf.org/html/rfc9110#section-15.6.1",
                Title = "An unexpected error occurred.",
            },
        });

        // Handled even when the client accepts no JSON: the bare 500 is still the whole answer it gets.
        return true;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unhandled exception in {Method} request {TraceIdentifier}")]
    private static partial void LogUnhandled(ILogger logger, string method, string traceIdentifier, Exception exception);
}
