using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

/// <summary>Customer secrets (SPEC KEY-SECRETS): write-only for administrators, sealed by storage, revealed only to consumers.</summary>
[Collection(SecretsServiceCollection.Name)]
public sealed class SecretsTests(SecretsServiceFixture fixture)
{
    private const string InvalidRequest = "https://platform.dev/problems/invalid-request";

    [Fact]
    public async Task A_stored_secret_shows_metadata_only_and_keysdb_holds_only_the_transit_ciphertext()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var value = $"hf_marker_{Guid.NewGuid():n}";

        using var created = await client.PutAsync(Path(organization, "hub-token"), Json(new { value }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var first = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["name", "version", "createdAt", "updatedAt", "updatedBy"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, first.GetProperty("version").GetInt32());
        Assert.Equal("operator:secrets-admin", first.GetProperty("updatedBy").GetString());

        using var replaced = await client.PutAsync(Path(organization, "hub-token"), Json(new { value = value + "-2" }));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var second = await replaced.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, second.GetProperty("version").GetInt32());
        Assert.Equal(first.GetProperty("createdAt").GetString(), second.GetProperty("createdAt").GetString());

        var listed = await client.GetStringAsync(Path(organization));
        var one = await client.GetStringAsync(Path(organization, "hub-token"));
        Assert.Contains("\"hub-token\"", listed);
        foreach (var body in new[] { await created.Content.ReadAsStringAsync(), await replaced.Content.ReadAsStringAsync(), listed, one })
        {
            Assert.DoesNotContain("hf_marker", body);
            Assert.DoesNotContain("pvt:", body);
        }

        var row = await fixture.RowAsync(organization, "hub-token");
        Assert.NotNull(row);
        Assert.StartsWith("pvt:v1:", (string)row["ciphertext"]!);
        Assert.DoesNotContain(row.Values, v => v?.ToString()?.Contains("hf_marker", StringComparison.Ordinal) == true);

        // What storage was asked to bind the ciphertext to: organization, secret name and purpose.
        var encrypt = fixture.Transit.Calls.Last(c => c.Operation == "encrypt" && c.Organization == organization);
        Assert.Equal(new Dictionary<string, string> { ["organization"] = organization, ["secret"] = "hub-token", ["purpose"] = "keys.secret" }, encrypt.Context);
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains("hf_marker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_consumer_gets_the_value_and_the_reveal_is_audited_with_its_name()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var value = $"deploy-key-{Guid.NewGuid():n}\n-----END-----";
        (await client.PutAsync(Path(organization, "deploy_key"), Json(new { value }))).EnsureSuccessStatusCode();

        using var consumer = fixture.Client(SecretsServiceFixture.ConsumerToken);
        using var revealed = await consumer.PostAsync(Reveal(organization, "deploy_key"), null);
        Assert.Equal(HttpStatusCode.OK, revealed.StatusCode);
        Assert.Equal("no-store", revealed.Headers.CacheControl?.ToString());
        var body = await revealed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(value, body.GetProperty("value").GetString());
        Assert.Equal(1, body.GetProperty("version").GetInt32());

        var audit = await fixture.Events.WaitForAsync("audit.recorded", e =>
            e.GetProperty("organizationId").GetString() == organization && e.GetProperty("action").GetString() == "secret.revealed");
        Assert.Equal("operator:deployer", audit.GetProperty("actor").GetString());
        Assert.Equal("deploy_key", audit.GetProperty("target").GetString());
        var stored = await fixture.Events.WaitForAsync("secret.stored", e => e.GetProperty("organizationId").GetString() == organization);
        Assert.Equal("operator:secrets-admin", stored.GetProperty("actor").GetString());
        await fixture.Events.WaitForAsync("secret.revealed", e => e.GetProperty("organizationId").GetString() == organization);
        Assert.DoesNotContain(fixture.Events.All, e => e.Body.Contains("deploy-key-", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains("deploy-key-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_a_consumer_for_that_organization_may_reveal()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        (await client.PutAsync(Path(organization, "token"), Json(new { value = "s3cret-value" }))).EnsureSuccessStatusCode();

        foreach (var token in new[] { SecretsServiceFixture.AdminToken, SecretsServiceFixture.GatewayToken, SecretsServiceFixture.StorageToken })
        {
            using var caller = fixture.Client(token);
            using var refused = await caller.PostAsync(Reveal(organization, "token"), null);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var tenant = fixture.Client(SecretsServiceFixture.TenantConsumerToken);
        using var forbidden = await tenant.PostAsync(Reveal(organization, "token"), null);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.DoesNotContain("s3cret-value", await forbidden.Content.ReadAsStringAsync());

        using var consumer = fixture.Client(SecretsServiceFixture.ConsumerToken);
        using var missing = await consumer.PostAsync(Reveal(organization, "other"), null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var malformed = await consumer.PostAsync(Reveal(organization, "Bad.Name"), null);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("dot.name")]
    [InlineData("space%20name")]
    [InlineData("a-name-that-is-far-too-long-for-a-secret-0123456789-0123456789-xyz")]
    public async Task A_bad_name_is_a_400_and_nothing_is_stored_or_sent_to_storage(string name)
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        using var response = await client.PutAsync(Path(organization, name), Json(new { value = "v" }));
        await AssertInvalidAsync(response, "name");
        Assert.Equal(0, await fixture.CountAsync(organization));
        Assert.DoesNotContain(fixture.Transit.Calls, c => c.Organization == organization);
    }

    [Theory]
    [InlineData("""{"value":""}""", "value")]
    [InlineData("""{"value":null}""", null)]
    [InlineData("""{}""", null)]
    [InlineData("""{"value":"x","extra":1}""", null)]
    [InlineData("""{"value":"\ud800"}""", null)]
    [InlineData("""["x"]""", null)]
    [InlineData("""not json""", null)]
    public async Task A_bad_body_is_a_400_and_nothing_is_stored(string body, string? field)
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        using var response = await client.PutAsync(Path(organization, "name"), Raw(body));
        await AssertInvalidAsync(response, field);
        Assert.Equal(0, await fixture.CountAsync(organization));
        Assert.DoesNotContain(fixture.Transit.Calls, c => c.Organization == organization);
    }

    [Fact]
    public async Task A_value_over_8_KiB_of_UTF8_is_refused_and_one_of_exactly_8_KiB_is_stored()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();

        using var tooLong = await client.PutAsync(Path(organization, "big"), Json(new { value = new string('é', 4097) }));
        await AssertInvalidAsync(tooLong, "value");
        Assert.DoesNotContain("éé", await tooLong.Content.ReadAsStringAsync());
        Assert.Equal(0, await fixture.CountAsync(organization));

        using var exact = await client.PutAsync(Path(organization, "big"), Json(new { value = new string('é', 4096) }));
        Assert.Equal(HttpStatusCode.Created, exact.StatusCode);
    }

    [Fact]
    public async Task When_storage_is_down_a_store_is_a_503_and_nothing_is_stored()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        (await client.PutAsync(Path(organization, "kept"), Json(new { value = "first" }))).EnsureSuccessStatusCode();

        fixture.Transit.Down = true;
        try
        {
            using var refused = await client.PutAsync(Path(organization, "new"), Json(new { value = "second" }));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/storage-unavailable", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
            using var replace = await client.PutAsync(Path(organization, "kept"), Json(new { value = "third" }));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, replace.StatusCode);
            using var consumer = fixture.Client(SecretsServiceFixture.ConsumerToken);
            using var reveal = await consumer.PostAsync(Reveal(organization, "kept"), null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, reveal.StatusCode);
        }
        finally
        {
            fixture.Transit.Down = false;
        }

        Assert.Null(await fixture.RowAsync(organization, "new"));
        Assert.Equal(1, (int)(await fixture.RowAsync(organization, "kept"))!["version"]!);
    }

    [Fact]
    public async Task After_a_crypto_shred_a_secret_is_gone_for_good_with_a_410()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        (await client.PutAsync(Path(organization, "hub"), Json(new { value = "before-the-shred" }))).EnsureSuccessStatusCode();

        fixture.Transit.Destroy(organization);

        using var consumer = fixture.Client(SecretsServiceFixture.ConsumerToken);
        using var reveal = await consumer.PostAsync(Reveal(organization, "hub"), null);
        Assert.Equal(HttpStatusCode.Gone, reveal.StatusCode);
        Assert.Equal("https://platform.dev/problems/organization-keys-destroyed", (await reveal.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        using var store = await client.PutAsync(Path(organization, "after"), Json(new { value = "after-the-shred" }));
        Assert.Equal(HttpStatusCode.Gone, store.StatusCode);
        Assert.Null(await fixture.RowAsync(organization, "after"));
    }

    [Fact]
    public async Task A_ciphertext_moved_to_another_secret_does_not_open()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        (await client.PutAsync(Path(organization, "one"), Json(new { value = "value-one" }))).EnsureSuccessStatusCode();
        (await client.PutAsync(Path(organization, "two"), Json(new { value = "value-two" }))).EnsureSuccessStatusCode();

        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("keysdb")))
        await using (var swap = dataSource.CreateCommand(
            "UPDATE organization_secrets SET ciphertext = (SELECT ciphertext FROM organization_secrets WHERE organization_id = $1 AND name = 'one') WHERE organization_id = $1 AND name = 'two'"))
        {
            swap.Parameters.AddWithValue(organization);
            Assert.Equal(1, await swap.ExecuteNonQueryAsync());
        }

        using var consumer = fixture.Client(SecretsServiceFixture.ConsumerToken);
        using var reveal = await consumer.PostAsync(Reveal(organization, "two"), null);
        Assert.Equal(HttpStatusCode.InternalServerError, reveal.StatusCode);
        Assert.DoesNotContain("value-one", await reveal.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deleting_removes_the_row_and_is_announced()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        (await client.PutAsync(Path(organization, "gone"), Json(new { value = "to-delete" }))).EnsureSuccessStatusCode();

        using var deleted = await client.DeleteAsync(Path(organization, "gone"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await fixture.RowAsync(organization, "gone"));
        using var again = await client.DeleteAsync(Path(organization, "gone"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var read = await client.GetAsync(Path(organization, "gone"));
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);

        var audit = await fixture.Events.WaitForAsync("audit.recorded", e =>
            e.GetProperty("organizationId").GetString() == organization && e.GetProperty("action").GetString() == "secret.deleted");
        Assert.Equal("gone", audit.GetProperty("target").GetString());
        await fixture.Events.WaitForAsync("secret.deleted", e => e.GetProperty("organizationId").GetString() == organization);
    }

    [Fact]
    public async Task The_list_pages_by_name()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        foreach (var name in new[] { "c", "a", "b" })
        {
            (await client.PutAsync(Path(organization, name), Json(new { value = "v" }))).EnsureSuccessStatusCode();
        }

        var first = await client.GetFromJsonAsync<JsonElement>(Path(organization) + "?limit=2");
        Assert.Equal(["a", "b"], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal("b", first.GetProperty("next").GetString());
        var second = await client.GetFromJsonAsync<JsonElement>(Path(organization) + "?limit=2&after=b");
        Assert.Equal(["c"], second.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);

        using var badLimit = await client.GetAsync(Path(organization) + "?limit=0");
        await AssertInvalidAsync(badLimit, "limit");
    }

    [Fact]
    public async Task Without_an_administrator_credential_nothing_is_shown_or_stored()
    {
        var organization = NewOrganization();
        using var anonymous = fixture.Client(token: null);
        using var consumer = fixture.Client(SecretsServiceFixture.ConsumerToken);
        foreach (var client in new[] { anonymous, consumer })
        {
            using var list = await client.GetAsync(Path(organization));
            Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
            using var put = await client.PutAsync(Path(organization, "x"), Json(new { value = "v" }));
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        }

        Assert.Equal(0, await fixture.CountAsync(organization));
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string? field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(InvalidRequest, problem.GetProperty("type").GetString());
        if (field is not null) Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    private static string Path(string organization, string? name = null) =>
        name is null ? $"/v1/organizations/{organization}/secrets" : $"/v1/organizations/{organization}/secrets/{name}";

    private static string Reveal(string organization, string name) => $"/internal/v1/organizations/{organization}/secrets/{name}/reveal";
}
