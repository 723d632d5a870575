using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.AppHost.Servers;

internal static class ParentState
{
    /// <summary>
    /// Gives a child resource (a database, epmd's parent) its parent's state. Aspire does this only for children of a
    /// container; a child of an executable would stay "Not started" forever, its health never checked, and everything
    /// that waits for it would wait forever.
    /// </summary>
    public static IResourceBuilder<T> WithParentStateOf<T>(this IResourceBuilder<T> builder, IResource parent) where T : IResource =>
        builder.OnInitializeResource((child, @event, initialization) =>
        {
            // For the app's lifetime: the token the event comes with ends when initialization does.
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                await foreach (var update in @event.Notifications.WatchAsync(stopping))
                {
                    if (update.Resource != parent) continue;
                    await @event.Notifications.PublishUpdateAsync(child, snapshot => snapshot with
                    {
                        State = update.Snapshot.State,
                        StartTimeStamp = update.Snapshot.StartTimeStamp,
                        StopTimeStamp = update.Snapshot.StopTimeStamp,
                    });
                }
            }, stopping);
            return Task.CompletedTask;
        });
}
