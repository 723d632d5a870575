using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests;

/// <summary>
/// The operator credentials the AppHost generates, as direct clients of the services' own (internal) endpoints: the
/// public gateway refuses them (401 <c>invalid-token</c>), and the services take them only on direct calls.
/// </summary>
internal static class OperatorClients
{
    /// <summary>The keys service's administrator (any organization), on the keys service's own endpoint.</summary>
    public static HttpClient KeysAdministrator(this TestingApplication app) => WithToken(app, "keys", "keys-admin-token");

    /// <summary>A new API key of <paramref name="organization"/>, made by the keys administrator: the whole 201 body (the secret in <c>key</c>).</summary>
    public static async Task<JsonElement> CreateApiKeyAsync(this TestingApplication app, string organization, string level, string permission = "dataset",
        string environment = "live", string[]? allowedCidrs = null, DateTimeOffset? expiresAt = null)
    {
        using var admin = app.KeysAdministrator();
        using var created = await admin.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "integration",
            environment,
            scopes = new[] { new { permission, level } },
            allowedCidrs,
            expiresAt,
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        return await created.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The retention operator (any organization's plan), on the retention service's own endpoint.</summary>
    public static HttpClient RetentionOperator(this TestingApplication app) => WithToken(app, "retention", "retention-operator-token");

    /// <summary>The audit log's operator reader (any organization), on the audit service's own endpoint.</summary>
    public static HttpClient AuditReader(this TestingApplication app) => WithToken(app, "audit", "audit-reader-token");

    /// <summary>The first audit entry matching <paramref name="query"/>, waiting up to 30 s for it to be stored.</summary>
    public static async Task<JsonElement> AuditEntryAsync(this TestingApplication app, string query)
    {
        using var reader = app.AuditReader();
        var since = Stopwatch.StartNew();
        while (since.Elapsed < TimeSpan.FromSeconds(30))
        {
            var page = await reader.GetFromJsonAsync<JsonElement>($"/v1/audit/events?{query}");
            if (page.GetProperty("items").GetArrayLength() > 0) return page.GetProperty("items")[0];
            await Task.Delay(250);
        }

        Assert.Fail($"No audit entry for {query}.");
        return default;
    }

    /// <summary>The gateway, with an operator token: what an attacker holding one would try.</summary>
    public static HttpClient OperatorThroughGateway(this TestingApplication app, string parameter)
    {
        var client = app.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue(parameter));
        return client;
    }

    private static HttpClient WithToken(TestingApplication app, string service, string parameter)
    {
        var client = app.CreateHttpClient(service, "http");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue(parameter));
        return client;
    }
}
