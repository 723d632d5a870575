using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Messaging.Tests.Unit;

public sealed class OptionsValidationTests
{
    [Fact]
    public async Task Start_up_fails_and_names_every_invalid_setting_at_once()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1",
            ["ConnectionStrings:db"] = "Host=127.0.0.1;Port=1;Username=nobody",
            ["Messaging:EventBus:MaxDeliveryAttempts"] = "0",
            ["Messaging:EventBus:MaxMessageBytes"] = "10",
            ["Messaging:EventBus:Prefetch"] = "70000",
            ["Messaging:Outbox:BatchSize"] = "0",
            ["Messaging:Outbox:MaxRetryDelay"] = "00:00:00.001",
        });
        builder.AddNpgsqlDataSource("db");
        builder.AddEventBus("messaging", "Not A Queue Name!").AddOutbox();
        using var host = builder.Build();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(failure is AggregateException or OptionsValidationException, failure.ToString());
        var messages = failure is AggregateException aggregate
            ? string.Join("\n", aggregate.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures))
            : string.Join("\n", ((OptionsValidationException)failure).Failures);
        foreach (var key in new[] { "ServiceName", "MaxDeliveryAttempts", "MaxMessageBytes", "Prefetch", "Outbox:BatchSize", "Outbox:MaxRetryDelay" })
        {
            Assert.Contains(key, messages, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_outbox_without_a_database_fails_at_start_up_saying_what_to_add()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1";
        builder.AddEventBus("messaging", "orders").AddOutbox();
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("AddNpgsqlDataSource", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_options_are_valid()
    {
        var eventBus = new Options.EventBusOptionsValidator().Validate(null, new EventBusOptions { ServiceName = "audit" });
        var outbox = new Options.OutboxOptionsValidator().Validate(null, new OutboxOptions());

        Assert.True(eventBus.Succeeded, eventBus.FailureMessage);
        Assert.True(outbox.Succeeded, outbox.FailureMessage);
    }
}
