using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Keys.Tests.Infrastructure;

/// <summary>The calls tests make over and over, through HTTP as a client would.</summary>
public static class KeysClient
{
    public static string NewOrganization() => "org_" + Guid.NewGuid().ToString("N")[..20];

    public static object Body(string name = "ci deploy", string environment = "live", object? scopes = null, object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["environment"] = environment,
            ["scopes"] = scopes ?? new[] { new { permission = "dataset", level = "read_only" }, new { permission = "training", level = "full" } },
        };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject()) body[property.Name] = property.Value;
        }

        return body;
    }

    /// <summary>Creates a key and returns the whole 201 body (the secret in <c>key</c>).</summary>
    public static async Task<JsonElement> CreateKeyAsync(this HttpClient client, string organization, object? body = null)
    {
        using var response = await client.PostAsJsonAsync($"/v1/organizations/{organization}/keys", body ?? Body());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<JsonElement> RotateAsync(this HttpClient client, string organization, string keyId, int? overlapSeconds)
    {
        using var response = await client.PostAsync($"/v1/organizations/{organization}/keys/{keyId}/rotate",
            overlapSeconds is null ? null : Json(new { overlapSeconds }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The gateway's question, with the service credential; the 200 answer's body.</summary>
    public static async Task<JsonElement> VerifyAsync(this KeysServiceFixture fixture, string key)
    {
        using var client = fixture.Client(KeysServiceFixture.ServiceToken);
        using var response = await client.PostAsJsonAsync("/internal/v1/keys/verify", new { key });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<string?> RejectionAsync(this KeysServiceFixture fixture, string key)
    {
        var answer = await fixture.VerifyAsync(key);
        return answer.GetProperty("valid").GetBoolean() ? null : answer.GetProperty("reason").GetString();
    }

    public static StringContent Json(object value) => Raw(JsonSerializer.Serialize(value));

    public static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    public static string Id(this JsonElement key) => key.GetProperty("id").GetString()!;

    public static string Secret(this JsonElement key) => key.GetProperty("key").GetString()!;
}
