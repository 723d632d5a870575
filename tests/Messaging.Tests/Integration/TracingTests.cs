using System.Diagnostics;
using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Integration;

[Collection(ServersCollection.Name)]
public sealed class TracingTests(Servers servers) : IDisposable
{
    private readonly ActivityListener _listener = Listen();

    [Fact]
    public async Task Trace_context_flows_from_a_direct_publish_to_the_consumer()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var service = await TestService.StartAsync(servers, database, TestService.UniqueName("trace"),
            bus => bus.WithInbox().AddSubscription<ReportFiled, RecordingHandler<ReportFiled>>());
        var filed = new ReportFiled { Subject = "traced" };

        string requestTraceId;
        using (var request = new Activity("test request").Start())
        {
            requestTraceId = request.TraceId.ToHexString();
            await service.Publisher.PublishAsync(filed, CancellationToken.None);
        }

        await service.WaitUntilAppliedAsync(filed.Id);
        Assert.Equal(requestTraceId, await AppliedEvents.TraceIdAsync(service.DataSource, filed.Id));
    }

    [Fact]
    public async Task Trace_context_of_the_request_that_wrote_the_outbox_row_reaches_the_consumer()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var service = await TestService.StartAsync(servers, database, TestService.UniqueName("trace-outbox"),
            bus => bus.WithInbox().AddOutbox().AddSubscription<ReportFiled, RecordingHandler<ReportFiled>>());
        var filed = new ReportFiled { Subject = "traced through the outbox" };

        string requestTraceId;
        using (var request = new Activity("test request").Start())
        {
            requestTraceId = request.TraceId.ToHexString();
            await service.EnqueueAsync(filed);
        }

        await service.WaitUntilAppliedAsync(filed.Id);
        Assert.Equal(requestTraceId, await AppliedEvents.TraceIdAsync(service.DataSource, filed.Id));
    }

    public void Dispose() => _listener.Dispose();

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Platform.Messaging",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [IntegrationEvent("msgtest.trace.report-filed")]
    public sealed record ReportFiled : TestEvent;
}
