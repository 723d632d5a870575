using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

[Collection(KeysServiceCollection.Name)]
public sealed class KeyUsageTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task Usage_reports_add_up_and_move_last_used_forward_only()
    {
        using var admin = fixture.Client();
        using var gateway = fixture.Client(KeysServiceFixture.ServiceToken);
        var organization = NewOrganization();
        var key = await admin.CreateKeyAsync(organization);
        var now = fixture.Clock.GetUtcNow();
        var earlier = now.AddMinutes(-10);
        var later = now.AddMinutes(-1);

        using var first = await gateway.PostAsJsonAsync("/internal/v1/keys/usage", new
        {
            usage = new object[]
            {
                new { keyId = key.Id(), count = 3, lastUsedAt = later },
                new { keyId = key.Id(), count = 2, lastUsedAt = earlier },
                new { keyId = $"key_{Guid.CreateVersion7():N}", count = 9, lastUsedAt = later },
            },
        });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(1, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keys").GetInt32());
        var after = await GetAsync(admin, organization, key.Id());
        Assert.Equal(5, after.GetProperty("useCount").GetInt64());
        Assert.Equal(later.UtcDateTime, after.GetProperty("lastUsedAt").GetDateTimeOffset().UtcDateTime, TimeSpan.FromMilliseconds(1));

        // An older report (a slow gateway) adds its count but does not move the time back.
        (await gateway.PostAsJsonAsync("/internal/v1/keys/usage", new { usage = new[] { new { keyId = key.Id(), count = 4, lastUsedAt = earlier } } })).Dispose();
        after = await GetAsync(admin, organization, key.Id());
        Assert.Equal(9, after.GetProperty("useCount").GetInt64());
        Assert.Equal(later.UtcDateTime, after.GetProperty("lastUsedAt").GetDateTimeOffset().UtcDateTime, TimeSpan.FromMilliseconds(1));

        // A gateway clock ahead of ours cannot put last use in the future.
        (await gateway.PostAsJsonAsync("/internal/v1/keys/usage", new { usage = new[] { new { keyId = key.Id(), count = 1, lastUsedAt = now.AddDays(1) } } })).Dispose();
        after = await GetAsync(admin, organization, key.Id());
        Assert.Equal(now.UtcDateTime, after.GetProperty("lastUsedAt").GetDateTimeOffset().UtcDateTime, TimeSpan.FromMilliseconds(1));
    }

    public static TheoryData<string> InvalidReports => new()
    {
        """{"usage":[]}""",
        """{"usage":[{"keyId":"key_1","count":1,"lastUsedAt":"2026-01-01T00:00:00Z"}]}""",
        $$"""{"usage":[{"keyId":"key_{{Guid.CreateVersion7():N}}","count":0,"lastUsedAt":"2026-01-01T00:00:00Z"}]}""",
        $$"""{"usage":[{"keyId":"key_{{Guid.CreateVersion7():N}}","count":1}]}""",
        """{"use":[]}""",
    };

    [Theory]
    [MemberData(nameof(InvalidReports))]
    public async Task A_bad_usage_report_is_a_400_and_counts_nothing(string body)
    {
        using var gateway = fixture.Client(KeysServiceFixture.ServiceToken);
        using var response = await gateway.PostAsync("/internal/v1/keys/usage", Raw(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_report_of_more_than_ten_thousand_entries_is_a_400()
    {
        var entry = $$"""{"keyId":"key_{{Guid.CreateVersion7():N}}","count":1,"lastUsedAt":"2026-01-01T00:00:00Z"}""";
        using var gateway = fixture.Client(KeysServiceFixture.ServiceToken);
        using var response = await gateway.PostAsync("/internal/v1/keys/usage", Raw($"{{\"usage\":[{string.Join(',', Enumerable.Repeat(entry, 10_001))}]}}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("usage", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Reporting_usage_takes_the_service_credential()
    {
        using var admin = fixture.Client();
        var organization = NewOrganization();
        var key = await admin.CreateKeyAsync(organization);
        using var response = await admin.PostAsJsonAsync("/internal/v1/keys/usage",
            new { usage = new[] { new { keyId = key.Id(), count = 1, lastUsedAt = fixture.Clock.GetUtcNow() } } });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, (await GetAsync(admin, organization, key.Id())).GetProperty("useCount").GetInt64());
    }

    private static Task<JsonElement> GetAsync(HttpClient client, string organization, string keyId) =>
        client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys/{keyId}");
}
