using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Platform.IntegrationTests;

/// <summary>
/// SPEC KEY-SECRETS end to end: an administrator stores a secret at the keys service, keys seals it with storage's
/// transit API, only the ciphertext reaches keysdb, a consumer has it revealed, and storage's crypto-shred ends that.
/// </summary>
[Collection(Collections.Platform)]
public sealed class KeySecretsTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task A_secret_is_write_only_through_the_gateway_sealed_in_keysdb_revealed_to_a_consumer_and_gone_after_a_crypto_shred()
    {
        var marker = $"hf_PLAINTEXT_MARKER_{Guid.NewGuid():n}";
        using var admin = app.KeysAdministrator();

        using var stored = await admin.PutAsJsonAsync($"/v1/organizations/{organization}/secrets/hub-token", new { value = marker });
        Assert.True(stored.StatusCode == HttpStatusCode.Created, $"store: {(int)stored.StatusCode} {await stored.Content.ReadAsStringAsync()}");
        var answers = new List<string> { await stored.Content.ReadAsStringAsync() };
        answers.Add(await admin.GetStringAsync($"/v1/organizations/{organization}/secrets"));
        answers.Add(await admin.GetStringAsync($"/v1/organizations/{organization}/secrets/hub-token"));
        Assert.Contains("\"hub-token\"", answers[1]);
        Assert.All(answers, answer => Assert.DoesNotContain(marker, answer));
        Assert.All(answers, answer => Assert.DoesNotContain("pvt:", answer));

        // keysdb holds storage's ciphertext and nothing of the value.
        var row = await RowAsync();
        Assert.StartsWith("pvt:v1:", row["ciphertext"]);
        Assert.DoesNotContain(row.Values, value => value.Contains(marker, StringComparison.Ordinal));

        // The reveal is internal: not through the gateway, and only with a consumer credential.
        using (var gateway = app.CreateHttpClient("gateway"))
        using (var throughGateway = await gateway.PostAsync($"/internal/v1/organizations/{organization}/secrets/hub-token/reveal", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, throughGateway.StatusCode);
        }

        using var consumer = Keys("keys-secrets-consumer-token");
        using (var revealed = await consumer.PostAsync($"/internal/v1/organizations/{organization}/secrets/hub-token/reveal", null))
        {
            Assert.Equal(HttpStatusCode.OK, revealed.StatusCode);
            Assert.Equal(marker, (await revealed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("value").GetString());
        }

        using (var asGateway = await Keys("keys-gateway-token").PostAsync($"/internal/v1/organizations/{organization}/secrets/hub-token/reveal", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, asGateway.StatusCode);
        }

        var audit = await app.AuditEntryAsync($"organization={organization}&action=secret.revealed");
        Assert.StartsWith("operator", audit.GetProperty("actor").GetString());
        Assert.DoesNotContain(marker, audit.ToString());
        await app.AuditEntryAsync($"organization={organization}&action=secret.stored");

        using var storage = app.CreateHttpClient("storage-us", "http");
        storage.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("storage-service-token"));
        using (var destroyed = await storage.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "integration-test", reason = "KEY-SECRETS crypto-shred" }))
        {
            Assert.True(destroyed.IsSuccessStatusCode, $"destroy: {(int)destroyed.StatusCode} {await destroyed.Content.ReadAsStringAsync()}");
        }

        using var gone = await consumer.PostAsync($"/internal/v1/organizations/{organization}/secrets/hub-token/reveal", null);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal("https://platform.dev/problems/organization-keys-destroyed", (await gone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        using var storeAfter = await admin.PutAsJsonAsync($"/v1/organizations/{organization}/secrets/another", new { value = marker });
        Assert.Equal(HttpStatusCode.Gone, storeAfter.StatusCode);
    }

    [Fact]
    public async Task Bad_input_is_a_400_and_stores_nothing()
    {
        using var admin = app.KeysAdministrator();
        using var badName = await admin.PutAsJsonAsync($"/v1/organizations/{organization}/secrets/Not.Valid", new { value = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using var tooLong = await admin.PutAsJsonAsync($"/v1/organizations/{organization}/secrets/big", new { value = new string('x', 8 * 1024 + 1) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var listed = await admin.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/secrets");
        Assert.Equal(0, listed.GetProperty("items").GetArrayLength());
    }

    private HttpClient Keys(string tokenParameter)
    {
        var client = app.CreateHttpClient("keys", "http");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue(tokenParameter));
        return client;
    }

    private async Task<Dictionary<string, string>> RowAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(app.GetConnectionString("keysdb"));
        await using var command = dataSource.CreateCommand("SELECT * FROM organization_secrets WHERE organization_id = $1 AND name = 'hub-token'");
        command.Parameters.AddWithValue(organization);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "The secret has no row in keysdb.");
        return Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "");
    }
}
