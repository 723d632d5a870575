using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Testing;
using Platform.Keys.Tests.Infrastructure;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

/// <summary>
/// Identity's <c>identity.member.deprovisioned</c> (SCIM deprovisioning, and since issue 18 item 4 an ordinary removal
/// by an Owner or Admin): keys revokes the keys that member created in that organization, and nothing else; and the
/// event is published as mandatory, so that before keys' queue exists it is refused (kept by identity's outbox) rather
/// than dropped by the broker.
/// </summary>
[Collection(KeysServiceCollection.Name)]
public sealed class MemberEventTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task A_removed_member_loses_the_keys_they_created_there_and_nobody_else_loses_any()
    {
        var organization = NewOrganization();
        var other = NewOrganization();
        var member = "usr_" + Guid.NewGuid().ToString("N")[..20];
        using var memberHere = fixture.Client(AccessTokens.Create(fixture.Clock, organization, ["Admin"], true, TimeSpan.FromMinutes(1), subject: member));
        using var memberElsewhere = fixture.Client(AccessTokens.Create(fixture.Clock, other, ["Admin"], true, TimeSpan.FromMinutes(1), subject: member));
        using var colleague = fixture.Client(AccessTokens.Create(fixture.Clock, organization, ["Admin"], true, TimeSpan.FromMinutes(1), subject: member + "x"));
        var first = await memberHere.CreateKeyAsync(organization);
        var second = await memberHere.CreateKeyAsync(organization, Body("second"));
        var theirs = await colleague.CreateKeyAsync(organization);
        var elsewhere = await memberElsewhere.CreateKeyAsync(other);

        using var identity = await PublisherAsync(fixture.Servers.GetConnectionString("messaging"));
        var removed = new MemberDeprovisioned { UserId = member, Reason = "member-removed", OrganizationId = organization };
        await identity.Services.GetRequiredService<IEventPublisher>().PublishAsync(removed, CancellationToken.None);

        foreach (var key in new[] { first, second })
        {
            await fixture.Events.WaitForAsync("key.revoked", e => e.GetProperty("keyId").GetString() == key.Id());
            Assert.Equal("revoked", await fixture.RejectionAsync(key.Secret()));
            var audit = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "key.revoked" && e.GetProperty("target").GetString() == key.Id());
            Assert.Equal("identity:deprovisioning", audit.GetProperty("actor").GetString());
            Assert.Equal("member-removed", audit.GetProperty("details").GetProperty("reason").GetString());
        }

        // The colleague's key in the same organization and the member's own key in another organization still work.
        Assert.Null(await fixture.RejectionAsync(theirs.Secret()));
        Assert.Null(await fixture.RejectionAsync(elsewhere.Secret()));
    }

    [Fact]
    public async Task A_deprovisioning_published_before_keys_has_a_queue_is_refused_not_dropped()
    {
        // A broker (vhost) on which keys has never started: no queue is bound to identity.member.deprovisioned. The
        // publish must fail (mandatory, returned) so that identity's outbox keeps the row and retries it; the old
        // publish succeeded and the broker dropped the event, leaving the member's keys working for good.
        await using var servers = await TestServers.LeaseAsync();
        using var identity = await PublisherAsync(servers.GetConnectionString("messaging"));
        var early = new MemberDeprovisioned { UserId = "usr_early", Reason = "member-removed", OrganizationId = NewOrganization() };
        var refused = await Assert.ThrowsAsync<EventPublishException>(
            () => identity.Services.GetRequiredService<IEventPublisher>().PublishAsync(early, CancellationToken.None));
        Assert.Equal([early.Id], refused.FailedEventIds);
        Assert.True(typeof(MemberDeprovisioned).GetCustomAttribute<IntegrationEventAttribute>()!.MustBeRouted);
    }

    /// <summary>A publishing-only host as identity builds its event bus (no subscriptions: it declares no queue).</summary>
    private static async Task<IHost> PublisherAsync(string messaging)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "identity-probe" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = messaging,
            ["Messaging:EventBus:PublishConfirmTimeout"] = "00:00:05",
        });
        builder.Logging.ClearProviders();
        builder.AddEventBus("messaging", "identity-probe-" + Guid.NewGuid().ToString("N")[..8]);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
