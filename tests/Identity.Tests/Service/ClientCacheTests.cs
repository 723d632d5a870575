using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;
using Platform.Identity.Oidc;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// Each replica keeps the clients it has read (<see cref="ClientCache"/>), so a grant reads no client from the
/// database; a change on any replica, or in the database by hand, reaches every replica's copy at once.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ClientCacheTests(IdentityFixture fixture)
{
    [Fact]
    public async Task A_replaced_secret_and_a_deleted_client_are_refused_at_once_by_another_replica_that_had_the_client_cached_and_the_replica_that_changes_it()
    {
        var (admin, orgId, clientId, secret) = await MachineClientAsync();

        await using var other = fixture.NewReplica();
        using var otherHttp = other.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost/"), HandleCookies = false, AllowAutoRedirect = false });
        var otherCache = other.Services.GetRequiredService<ClientCache>();
        await ListeningAsync(otherCache);

        // The other replica serves the client from its own copy after the first grant.
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(otherHttp, clientId, secret)).StatusCode);
        Assert.True(otherCache.TryGet(clientId, out _), "The other replica did not keep the client.");
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(otherHttp, clientId, secret)).StatusCode);
        // A wrong secret is still refused from the cached copy: the row is cached, never a decision.
        Assert.Equal("invalid_client", await ErrorAsync(await GrantAsync(otherHttp, clientId, secret[..^2] + "xx")));

        // The secret is replaced on the first replica (no overlap): the other refuses the old one at once.
        var rotated = await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients/{clientId}/rotate-secret", new { overlapSeconds = 0 });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;
        Assert.Equal("invalid_client", await ErrorAsync(await GrantAsync(otherHttp, clientId, secret)));
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(otherHttp, clientId, newSecret)).StatusCode);
        Assert.True(otherCache.TryGet(clientId, out _));

        // The first replica changes a client it has cached itself: it changes the row, not its copy.
        var cache = fixture.Service.Services.GetRequiredService<ClientCache>();
        await ListeningAsync(cache);
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(fixture.Client(), clientId, newSecret)).StatusCode);
        Assert.True(cache.TryGet(clientId, out _), "The first replica did not keep the client.");
        var again = await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients/{clientId}/rotate-secret", new { overlapSeconds = 0 });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var replaced = newSecret;
        newSecret = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientSecret").GetString()!;
        Assert.Equal("invalid_client", await ErrorAsync(await GrantAsync(otherHttp, clientId, replaced)));
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(otherHttp, clientId, newSecret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(fixture.Client(), clientId, newSecret)).StatusCode);
        Assert.True(cache.TryGet(clientId, out _));

        // Deleted on the first replica, which has it cached too: the other refuses it at once.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.DeleteAsync($"/v1/organizations/{orgId}/clients/{clientId}")).StatusCode);
        Assert.Equal("invalid_client", await ErrorAsync(await GrantAsync(otherHttp, clientId, newSecret)));
        Assert.Equal("invalid_client", await ErrorAsync(await GrantAsync(fixture.Client(), clientId, newSecret)));
        Assert.False(otherCache.TryGet(clientId, out _));
    }

    [Fact]
    public async Task A_change_made_in_the_database_by_hand_reaches_the_cached_copy_of_every_replica()
    {
        var (_, _, clientId, secret) = await MachineClientAsync();

        var cache = fixture.Service.Services.GetRequiredService<ClientCache>();
        await ListeningAsync(cache);
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(fixture.Client(), clientId, secret)).StatusCode);
        Assert.True(cache.TryGet(clientId, out _));

        // An operator takes the client's grant type away in SQL; the replica hears it and drops its copy.
        var heard = cache.ExpectChange(clientId, TimeSpan.FromSeconds(10));
        await using (var update = fixture.Database.CreateCommand(
            """
            UPDATE oidc."OpenIddictApplications"
            SET "Permissions" = (SELECT jsonb_agg(p)::text FROM jsonb_array_elements_text("Permissions"::jsonb) AS p WHERE p <> 'gt:client_credentials')
            WHERE "ClientId" = $1
            """))
        {
            update.Parameters.AddWithValue(clientId);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        await heard();
        Assert.False(cache.TryGet(clientId, out _));
        Assert.Equal("unauthorized_client", await ErrorAsync(await GrantAsync(fixture.Client(), clientId, secret)));
    }

    [Fact]
    public void A_cached_copy_has_every_column_of_the_row()
    {
        var source = new OpenIddictEntityFrameworkCoreApplication();
        var columns = typeof(OpenIddictEntityFrameworkCoreApplication).GetProperties().Where(p => p.CanWrite && p.PropertyType == typeof(string)).ToList();
        Assert.True(columns.Count >= 16, "OpenIddict's application has fewer columns than expected.");
        foreach (var column in columns) column.SetValue(source, column.Name + "-value");

        var copy = ClientCache.Copy(source);
        Assert.NotSame(source, copy);
        foreach (var column in columns) Assert.Equal(column.Name + "-value", column.GetValue(copy));
        // Only columns: an entity with any other settable state would need the copy to learn it.
        Assert.DoesNotContain(typeof(OpenIddictEntityFrameworkCoreApplication).GetProperties(), p => p.CanWrite && p.PropertyType != typeof(string));
    }

    /// <summary>An Owner with a recent second factor, their organization and a new machine client of it.</summary>
    private async Task<(TestUser Admin, string OrgId, string ClientId, string Secret)> MachineClientAsync()
    {
        var admin = await TestUser.CreateAsync(fixture);
        await admin.EnrolTotpAsync();
        var orgId = await admin.CreateOrganizationAsync();
        await admin.StepUpAsync();
        var created = await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", new { name = "ci", type = "machine", scopes = new[] { "platform.keys" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = await created.Content.ReadFromJsonAsync<JsonElement>();
        return (admin, orgId, client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
    }

    /// <summary>Until its listener holds its LISTEN, a replica serves clients from the database only.</summary>
    private static async Task ListeningAsync(ClientCache cache)
    {
        var elapsed = Stopwatch.StartNew();
        while (!cache.Listening)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("The replica's client cache listener did not start within 15 s.");
            await Task.Delay(20);
        }
    }

    private static async Task<HttpResponseMessage> GrantAsync(HttpClient http, string clientId, string secret) =>
        await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = "platform.keys",
        }));

    private static async Task<string?> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out var error) ? error.GetString() : $"no error but HTTP {(int)response.StatusCode}";
}
