using System.Net;
using System.Text.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// Issue 15 item 1: every change of a dataset or object is an audit action naming the actor, the client's address the
/// gateway reported, the organization and the request, committed with the change itself. Names (customer content)
/// stay out of the log.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class AuditedChangesTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task Creating_storing_replacing_and_deleting_are_audited_as_actions_of_the_caller_with_their_request_ids()
    {
        var organization = StorageApi.NewOrganization();
        var keyId = "key_" + Guid.NewGuid().ToString("N");
        using var client = fixture.Gateway(organization, keyId: keyId);
        const string datasetName = "patients-secret-name";
        const string objectName = "scan-of-jane-doe.png";

        var created = await SendAsync(client, "ds-create", () => client.PostAsync($"/v1/organizations/{organization}/datasets",
            new StringContent($$"""{"name":"{{datasetName}}"}""", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.Created);
        var dataset = created.GetProperty("id").GetString()!;
        var stored = await SendAsync(client, "obj-store", () => client.PutObjectAsync(organization, dataset, objectName, [1, 2, 3]), HttpStatusCode.Created);
        var replacement = await SendAsync(client, "obj-replace", () => client.PutObjectAsync(organization, dataset, objectName, [4, 5, 6, 7]), HttpStatusCode.Created);
        await SendAsync(client, "obj-delete", () => client.DeleteAsync(StorageApi.ObjectPath(organization, dataset, objectName)), HttpStatusCode.NoContent);
        await SendAsync(client, "ds-delete", () => client.DeleteAsync($"/v1/organizations/{organization}/datasets/{dataset}"), HttpStatusCode.OK);

        var datasetCreated = await ActionAsync(organization, "storage.dataset.created", "ds-create");
        Assert.Equal(dataset, datasetCreated.GetProperty("target").GetString());
        Assert.Equal("live", datasetCreated.GetProperty("details").GetProperty("environment").GetString());

        var first = await ActionAsync(organization, "storage.object.stored", "obj-store");
        Assert.Equal(stored.GetProperty("id").GetString(), first.GetProperty("target").GetString());
        Assert.Equal(dataset, first.GetProperty("details").GetProperty("datasetId").GetString());
        Assert.Equal("3", first.GetProperty("details").GetProperty("size").GetString());
        Assert.Equal("image", first.GetProperty("details").GetProperty("dataClass").GetString());

        var second = await ActionAsync(organization, "storage.object.stored", "obj-replace");
        Assert.Equal(replacement.GetProperty("id").GetString(), second.GetProperty("target").GetString());
        Assert.Equal(stored.GetProperty("id").GetString(), second.GetProperty("details").GetProperty("replacedObjectId").GetString());

        var objectDeleted = await ActionAsync(organization, "storage.object.deleted", "obj-delete");
        Assert.Equal(replacement.GetProperty("id").GetString(), objectDeleted.GetProperty("target").GetString());

        var datasetDeleted = await ActionAsync(organization, "storage.dataset.deleted", "ds-delete");
        Assert.Equal(dataset, datasetDeleted.GetProperty("target").GetString());
        Assert.Equal("0", datasetDeleted.GetProperty("details").GetProperty("objectsDeleted").GetString());

        foreach (var entry in new[] { datasetCreated, first, second, objectDeleted, datasetDeleted })
        {
            Assert.Equal(keyId, entry.GetProperty("actor").GetString());
            Assert.Equal(StorageServiceFixture.ClientAddress, entry.GetProperty("ip").GetString());
            Assert.Equal("success", entry.GetProperty("outcome").GetString());
            Assert.False(string.IsNullOrEmpty(entry.GetProperty("region").GetString()));
            Assert.DoesNotContain(datasetName, entry.GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain("jane-doe", entry.GetRawText(), StringComparison.Ordinal);
        }
    }

    private readonly string requestPrefix = "req_" + Guid.NewGuid().ToString("N")[..12];

    private bool RequestIs(JsonElement entry, string step) => entry.GetProperty("requestId").GetString() == $"{requestPrefix}-{step}";

    private async Task<JsonElement> SendAsync(HttpClient client, string step, Func<Task<HttpResponseMessage>> send, HttpStatusCode expected)
    {
        client.DefaultRequestHeaders.Remove("X-Request-Id");
        client.DefaultRequestHeaders.Add("X-Request-Id", $"{requestPrefix}-{step}");
        using var response = await send();
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{step}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    private Task<JsonElement> ActionAsync(string organization, string action, string step) =>
        fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == action && RequestIs(e, step));
}
