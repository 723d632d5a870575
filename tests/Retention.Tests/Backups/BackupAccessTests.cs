using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Retention.Tests.Infrastructure;

namespace Platform.Retention.Tests.Backups;

/// <summary>
/// Backups are operator-level: an organization's Owner or Admin (an identity token with MFA and the scope) reaches no
/// backup endpoint; neither does a plan operator, nor a backup credential sent through the gateway (any
/// <c>X-Platform-*</c> header); a backup operator without <c>Restore</c> lists and verifies but cannot restore. Each
/// refusal is a problem and an audit entry naming the principal, and nothing is restored.
/// </summary>
[Collection(BackupCollection.Name)]
public sealed class BackupAccessTests(BackupFixture fixture)
{
    [Fact]
    public async Task Only_backup_operators_reach_backups_and_only_restorers_restore()
    {
        using var restorer = fixture.Operator();
        var id = (await (await restorer.PostAsync("/v1/retention/backups", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var target = fixture.Fresh.GetConnectionString($"denied{Guid.NewGuid():n}"[..22]);
        var body = new
        {
            databases = new Dictionary<string, string> { ["storage-test"] = target, ["retention"] = fixture.Fresh.GetConnectionString($"deniedr{Guid.NewGuid():n}"[..22]),
                ["keys"] = fixture.Fresh.GetConnectionString($"deniedk{Guid.NewGuid():n}"[..22]) },
            blobRoots = new Dictionary<string, string> { ["storage-test-blobs"] = fixture.ScratchFolder($"denied-{Guid.NewGuid():n}") },
        };

        using var anonymous = fixture.Operator(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/retention/backups")).StatusCode);

        // An organization's Owner with a fresh second factor and the scope: not an operator.
        using var owner = fixture.Operator(AccessTokens.Create(fixture.Clock, "org_backupowner", ["Owner"], mfa: true, TimeSpan.FromMinutes(1)));
        foreach (var response in new[]
                 {
                     await owner.GetAsync("/v1/retention/backups"), await owner.PostAsync("/v1/retention/backups", null),
                     await owner.PostAsync($"/v1/retention/backups/{id}/verify", null), await owner.PostAsJsonAsync($"/v1/retention/backups/{id}/restore", body),
                 })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("https://platform.dev/problems/unauthenticated", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        // The plan operator: another operator role, no backups.
        using var plans = fixture.Operator(BackupFixture.PlanOperatorToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await plans.GetAsync("/v1/retention/backups")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await plans.PostAsJsonAsync($"/v1/retention/backups/{id}/restore", body)).StatusCode);

        // The backup reader lists and verifies, but may not restore.
        using var reader = fixture.Operator(BackupFixture.ReaderToken);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/retention/backups")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.PostAsync($"/v1/retention/backups/{id}/verify", null)).StatusCode);
        var refused = await reader.PostAsJsonAsync($"/v1/retention/backups/{id}/restore", body);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("https://platform.dev/problems/forbidden", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        var (exit, _, error) = await fixture.CtlAsync(BackupFixture.ReaderToken, "backup", "restore", id, "--targets", await TargetsFileAsync(body));
        Assert.Equal(3, exit);
        Assert.Contains("403", error);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "request.refused"
            && e.GetProperty("actor").GetString() == "operator:backup-reader" && e.GetProperty("target").GetString()!.EndsWith("/restore", StringComparison.Ordinal));

        // The restorer's own credential, arriving through the gateway (with its headers): refused before anything runs.
        using var forwarded = fixture.Operator();
        forwarded.DefaultRequestHeaders.Add("X-Platform-Organization", "org_backupowner");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forwarded.PostAsJsonAsync($"/v1/retention/backups/{id}/restore", body)).StatusCode);

        Assert.Equal(0L, await BackupEndToEndTests.ScalarAsync<long>(target, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public async Task Unknown_or_malformed_backup_ids_are_404()
    {
        using var restorer = fixture.Operator();
        foreach (var id in new[] { "bk_20260101T000000Z_00000000", "..", "bk_../../etc" })
        {
            var response = await restorer.PostAsync($"/v1/retention/backups/{Uri.EscapeDataString(id)}/verify", null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    private async Task<string> TargetsFileAsync(object body)
    {
        var path = fixture.ScratchFolder($"targets-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(body));
        return path;
    }
}
