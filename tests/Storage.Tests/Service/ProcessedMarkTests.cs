using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// Zero retention (issue 16 item 2): the product marks an image processed through storage's API, and storage tells
/// retention (<c>object.processed</c>) and the audit log. Only the organization's own image, with a key that may
/// change objects: another organization's key is 404 (its own path) or 403 (the victim's path), a read-only or labeler key 403,
/// another class or a malformed body 400; none of them emits anything.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class ProcessedMarkTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task An_image_is_marked_processed_by_its_organization_only_and_retention_and_the_audit_log_are_told()
    {
        var organization = StorageApi.NewOrganization();
        var full = fixture.Gateway(organization);
        var dataset = await full.CreateDatasetAsync(organization);
        var image = (await (await full.PutObjectAsync(organization, dataset, "frame.png", [1, 2], "image")).JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var result = (await (await full.PutObjectAsync(organization, dataset, "frame.json", [3], "detection_result")).JsonAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var path = $"/v1/organizations/{organization}/datasets/{dataset}/processed";

        // Attacks and bad input: nothing is marked.
        var other = StorageApi.NewOrganization();
        await (await fixture.Gateway(other).PostAsJsonAsync($"/v1/organizations/{other}/datasets/{dataset}/processed", new { objectId = image })).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Gateway(other).PostAsJsonAsync(path, new { objectId = image })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fixture.Gateway(organization, "dataset:read_only").PostAsJsonAsync(path, new { objectId = image })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fixture.Gateway(organization, "dataset:labeler_only").PostAsJsonAsync(path, new { objectId = image })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await full.PostAsJsonAsync(path, new { objectId = result })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await full.PostAsJsonAsync(path, new { objectId = "obj_unknown" })).ProblemAsync(HttpStatusCode.NotFound);
        await (await full.PostAsJsonAsync(path, new { other = 1 })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await full.PostAsync(path, new StringContent("{", System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.DoesNotContain(fixture.Events.All, e => e.RoutingKey == "object.processed" && e.Body.Contains(organization, StringComparison.Ordinal));

        var marked = await (await full.PostAsJsonAsync(path, new { objectId = image })).JsonAsync();
        Assert.Equal(image, marked.GetProperty("objectId").GetString());
        var processed = await fixture.Events.WaitForAsync("object.processed", e => e.GetProperty("organizationId").GetString() == organization);
        Assert.Equal(image, processed.GetProperty("objectId").GetString());
        Assert.Equal(dataset, processed.GetProperty("datasetId").GetString());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "storage.object.processed" && e.GetProperty("target").GetString() == image);
        Assert.Single(fixture.Events.All, e => e.RoutingKey == "object.processed" && e.Body.Contains(organization, StringComparison.Ordinal));
    }
}
