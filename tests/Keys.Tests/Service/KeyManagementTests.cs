using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

[Collection(KeysServiceCollection.Name)]
public sealed class KeyManagementTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task A_created_key_is_shown_once_and_never_again()
    {
        var organization = NewOrganization();
        using var client = fixture.Client();
        using var response = await client.PostAsJsonAsync($"/v1/organizations/{organization}/keys",
            Body(extra: new { allowedCidrs = new[] { "203.0.113.0/24", "2001:db8::1" }, rateLimitPerMinute = 600 }));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var secret = created.Secret();
        Assert.Matches("^sk_live_[0-9A-Za-z]{38}$", secret);
        Assert.Equal($"/v1/organizations/{organization}/keys/{created.Id()}", response.Headers.Location?.OriginalString);
        Assert.Matches("^key_[0-9a-f]{32}$", created.Id());
        Assert.Equal(secret[..12], created.GetProperty("displayPrefix").GetString());
        Assert.Equal("active", created.GetProperty("status").GetString());
        Assert.Equal(["203.0.113.0/24", "2001:db8::1/128"], created.GetProperty("allowedCidrs").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(600, created.GetProperty("rateLimitPerMinute").GetInt32());
        Assert.Equal("operator:root", created.GetProperty("createdBy").GetString());
        Assert.EndsWith("Z", created.GetProperty("createdAt").GetString(), StringComparison.Ordinal);

        var one = await client.GetStringAsync($"/v1/organizations/{organization}/keys/{created.Id()}");
        var list = await client.GetStringAsync($"/v1/organizations/{organization}/keys");
        foreach (var json in new[] { one, list })
        {
            Assert.DoesNotContain(secret[8..40], json, StringComparison.Ordinal);
            Assert.DoesNotContain("\"key\"", json, StringComparison.Ordinal);
            Assert.DoesNotContain("hash", json, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(created.Id(), JsonDocument.Parse(one).RootElement.Id());
    }

    [Fact]
    public async Task Keys_are_listed_newest_first_a_page_at_a_time()
    {
        var organization = NewOrganization();
        using var client = fixture.Client();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await client.CreateKeyAsync(organization, Body(name: $"key {i}"))).Id());

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys?limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(k => k.Id()));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"name":"x","environment":"live","scopes":[{"permission":"billing","level":"full"}]}""", "scopes[0].permission" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"admin"}]}""", "scopes[0].level" },
        { """{"name":"x","environment":"live","scopes":[]}""", "scopes" },
        { """{"name":"x","environment":"prod","scopes":[{"permission":"dataset","level":"full"}]}""", "environment" },
        { $$"""{"name":"{{new string('n', 101)}}","environment":"live","scopes":[{"permission":"dataset","level":"full"}]}""", "name" },
        { """{"name":"a\u0007b","environment":"live","scopes":[{"permission":"dataset","level":"full"}]}""", "name" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"allowedCidrs":["10.0.0.0/33"]}""", "allowedCidrs[0]" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"allowedCidrs":["office"]}""", "allowedCidrs[0]" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimitPerMinute":0}""", "rateLimitPerMinute" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimitPerMinute":1000001}""", "rateLimitPerMinute" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":0,"windowSeconds":60}}""", "rateLimit.requests" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":1000001,"windowSeconds":60}}""", "rateLimit.requests" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":10,"windowSeconds":0}}""", "rateLimit.windowSeconds" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":10,"windowSeconds":86401}}""", "rateLimit.windowSeconds" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":10,"windowSeconds":60},"rateLimitPerMinute":10}""", "rateLimit" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":10}}""", "" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":1.5,"windowSeconds":60}}""", "" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":10,"windowSeconds":60,"burst":5}}""", "" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":"1000/min"}""", "" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"rateLimit":{"requests":99999999999,"windowSeconds":60}}""", "" },
        { """{"name":"x","environment":"live","scopes":[{"permission":"dataset","level":"full"}],"expiresAt":"2099-01-01T00:00:00"}""", "" },
        { """{"name":"x","environment":"live","scope":[{"permission":"dataset","level":"full"}]}""", "" },
        { """{"name":"x","environment":"live"}""", "" },
        { """{"name":"x",""", "" },
        { "[]", "" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_requests_are_400_problems_and_create_nothing(string body, string field)
    {
        var organization = NewOrganization();
        using var client = fixture.Client();
        using var response = await client.PostAsync($"/v1/organizations/{organization}/keys", Raw(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://platform.dev/problems/invalid-request", problem.GetProperty("type").GetString());
        if (field.Length > 0) Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"No error for {field}: {problem}");
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Oversized_and_non_json_bodies_are_refused()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        using var large = await client.PostAsync($"/v1/organizations/{organization}/keys", Raw($$"""{"name":"{{new string('n', 70_000)}}"}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        using var text = await client.PostAsync($"/v1/organizations/{organization}/keys", new StringContent("name=x"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("org_a-b")]
    [InlineData("org_")]
    public async Task A_malformed_organization_id_is_a_400(string organization)
    {
        using var client = fixture.Client();
        using var response = await client.PostAsJsonAsync($"/v1/organizations/{organization}/keys", Body());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Another_organizations_key_is_not_found_and_stays_untouched()
    {
        using var client = fixture.Client();
        var owner = NewOrganization();
        var other = NewOrganization();
        var key = await client.CreateKeyAsync(owner);

        foreach (var (method, path, body) in new (HttpMethod, string, HttpContent?)[]
        {
            (HttpMethod.Get, "", null),
            (HttpMethod.Patch, "", Json(new { name = "stolen" })),
            (HttpMethod.Post, "/rotate", Json(new { overlapSeconds = 0 })),
            (HttpMethod.Post, "/revoke", null),
        })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, $"/v1/organizations/{other}/keys/{key.Id()}{path}") { Content = body });
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var unknown = await client.GetAsync($"/v1/organizations/{owner}/keys/key_{Guid.CreateVersion7():N}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var after = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{owner}/keys/{key.Id()}");
        Assert.Equal("ci deploy", after.GetProperty("name").GetString());
        Assert.Equal("active", after.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("rotatedTo").ValueKind);
        Assert.Null(await fixture.RejectionAsync(key.Secret()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789-0123456789-abcdef")]
    [InlineData("Bearer " + KeysServiceFixture.ServiceToken)]
    [InlineData("Basic cm9vdDpyb290")]
    public async Task Without_an_administrator_credential_the_answer_is_401(string? authorization)
    {
        using var client = fixture.Client(token: null);
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.PostAsJsonAsync($"/v1/organizations/{NewOrganization()}/keys", Body());
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("https://platform.dev/problems/unauthenticated", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_administrator_of_one_organization_manages_only_that_one()
    {
        using var tenant = fixture.Client(KeysServiceFixture.TenantToken);
        await tenant.CreateKeyAsync(KeysServiceFixture.TenantOrganization);
        using var elsewhere = await tenant.GetAsync($"/v1/organizations/{NewOrganization()}/keys");
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_patch_changes_the_given_fields_and_null_removes_optional_ones()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);
        var path = $"/v1/organizations/{organization}/keys/{key.Id()}";
        var expiry = fixture.Clock.GetUtcNow().AddDays(30);

        using var first = await client.PatchAsync(path, Json(new
        {
            name = "renamed",
            scopes = new[] { new { permission = "deployment", level = "restricted" } },
            allowedCidrs = new[] { "198.51.100.0/24" },
            rateLimitPerMinute = 120,
            expiresAt = expiry,
        }));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var verified = await fixture.VerifyAsync(key.Secret());
        Assert.Equal("deployment", verified.GetProperty("scopes")[0].GetProperty("permission").GetString());
        Assert.Equal("restricted", verified.GetProperty("scopes")[0].GetProperty("level").GetString());
        Assert.Equal(["198.51.100.0/24"], verified.GetProperty("allowedCidrs").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(120, verified.GetProperty("rateLimitPerMinute").GetInt32());
        Assert.Equal(expiry.UtcDateTime, verified.GetProperty("expiresAt").GetDateTimeOffset().UtcDateTime, TimeSpan.FromMilliseconds(1));

        using var second = await client.PatchAsync(path, Raw("""{"rateLimitPerMinute":null,"expiresAt":null,"allowedCidrs":null}"""));
        var after = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("renamed", after.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("rateLimitPerMinute").ValueKind);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("expiresAt").ValueKind);
        Assert.Empty(after.GetProperty("allowedCidrs").EnumerateArray());
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"scopes":null}""")]
    [InlineData("""{"rateLimitPerMinute":"many"}""")]
    [InlineData("""{"expiresAt":"2000-01-01T00:00:00Z"}""")]
    [InlineData("""{"owner":"x"}""")]
    [InlineData("""{"name":"ok","allowedCidrs":["10.0.0.0/8","nope"]}""")]
    public async Task An_invalid_patch_is_a_400_and_changes_nothing(string body)
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);
        var path = $"/v1/organizations/{organization}/keys/{key.Id()}";

        using var response = await client.PatchAsync(path, Raw(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var after = await client.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal("ci deploy", after.GetProperty("name").GetString());
        Assert.Equal(key.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("cursor=bm90LWEtY3Vyc29y")]
    [InlineData("sort=name")]
    public async Task Invalid_list_parameters_are_a_400(string query)
    {
        using var client = fixture.Client();
        using var response = await client.GetAsync($"/v1/organizations/{NewOrganization()}/keys?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
