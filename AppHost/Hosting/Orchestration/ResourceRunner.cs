namespace Platform.Hosting.Orchestration;

internal sealed class OrchestratorContext(AppHostOptions options, DistributedApplicationExecutionContext execution, StateFolder state, ProcessRegistry processes, ResourceOutput output, TimeProvider time)
{
    public AppHostOptions Options { get; } = options;

    public DistributedApplicationExecutionContext Execution { get; } = execution;

    public StateFolder State { get; } = state;

    public ProcessRegistry Processes { get; } = processes;

    public ResourceOutput Output { get; } = output;

    public TimeProvider Time { get; } = time;
}

/// <summary>Runs one resource locally: start it, report it healthy, stop it.</summary>
internal abstract class ResourceRunner(Resource resource, OrchestratorContext context)
{
    public Resource Resource { get; } = resource;

    protected OrchestratorContext Context { get; } = context;

    /// <summary>Completes when the resource is healthy; throws <see cref="DistributedApplicationException"/> when it cannot become so.</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken);

    public abstract Task StopAsync();

    /// <summary>Polls <paramref name="probe"/> until it succeeds, the process exits, or the time is up.</summary>
    protected async Task WaitUntilHealthyAsync(Func<CancellationToken, Task<bool>> probe, ManagedProcess? process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Context.Time.GetTimestamp();
        Exception? last = null;
        while (Context.Time.GetElapsedTime(started) < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process is { HasExited: true })
            {
                throw new DistributedApplicationException(
                    $"{Resource.Name}: exited with code {process.Exited.Result} before it was healthy. Its last output:{Environment.NewLine}{Context.Output.Tail(Resource.Name)}");
            }

            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                if (await probe(attempt.Token)) return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), Context.Time, cancellationToken);
        }

        throw new DistributedApplicationException(
            $"{Resource.Name}: not healthy after {timeout.TotalSeconds:0} s{(last is null ? "" : $" ({last.GetType().Name}: {last.Message})")}. Its last output:{Environment.NewLine}{Context.Output.Tail(Resource.Name)}");
    }
}
