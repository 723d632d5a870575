using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Identity.Mfa;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>The Data Protection key ring lives in identitydb, encrypted, so that replicas accept each other's cookies.</summary>
[Collection(IdentityCollection.Name)]
public sealed class SharedKeyRingTests(IdentityFixture fixture)
{
    [Fact]
    public async Task A_session_cookie_issued_by_one_replica_is_accepted_by_another_on_the_same_database()
    {
        var user = await TestUser.CreateAsync(fixture);
        using var first = fixture.Service.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        first.DefaultRequestHeaders.Add("X-Forwarded-For", IdentityFixture.NewIp());
        var signIn = await first.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var session = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-platform-session=", StringComparison.Ordinal)).Split(';')[0];

        await using var replica = fixture.NewReplica();
        using var second = replica.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/me");
        request.Headers.Add("Cookie", session);
        var me = await second.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(user.Id, (await me.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("userId").GetString());

        // A forged cookie is still refused there.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/v1/me");
        forged.Headers.Add("Cookie", session[..^4] + "AAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.SendAsync(forged)).StatusCode);

        // The ring is in the database, each key encrypted, and the master key inside encrypted once more.
        await using var keys = fixture.Database.CreateCommand("SELECT name, encrypted_xml FROM data_protection_keys");
        await using var reader = await keys.ExecuteReaderAsync();
        var protector = fixture.Service.Services.GetRequiredService<DataProtector>();
        var count = 0;
        while (await reader.ReadAsync())
        {
            count++;
            var stored = reader.GetFieldValue<byte[]>(1);
            Assert.DoesNotContain("<key", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
            var xml = Encoding.UTF8.GetString(protector.Unprotect(stored, "data-protection-key:" + reader.GetString(0)));
            Assert.Contains("<encryptedKey", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        }

        Assert.True(count >= 1, "No Data Protection key in identitydb.");
        // The key ring is first read after the schema exists (the migrator starts before Data Protection's warm-up).
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains("An error occurred while reading the key ring", StringComparison.Ordinal));
    }
}
