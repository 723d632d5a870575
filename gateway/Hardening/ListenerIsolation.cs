namespace Platform.Gateway.Hardening;

/// <summary>
/// Keeps the two listeners apart by the port the connection arrived on: the internal one answers health probes
/// and nothing else, the public one never answers them.
/// </summary>
/// <remarks>
/// The health endpoints also require the internal port in the Host header, but a client picks its Host header;
/// the local port of its connection it cannot.
/// </remarks>
internal static class ListenerIsolation
{
    private static readonly PathString[] ProbePaths = ["/health", "/alive"];

    public static IApplicationBuilder UseListenerIsolation(this IApplicationBuilder app, int internalPort) =>
        app.Use((context, next) =>
        {
            var onInternalListener = context.Connection.LocalPort == internalPort;
            var isProbe = IsProbe(context.Request.Path);

            if (onInternalListener != isProbe)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });

    private static bool IsProbe(PathString path)
    {
        foreach (var probe in ProbePaths)
        {
            if (path.StartsWithSegments(probe)) return true;
        }

        return false;
    }
}
