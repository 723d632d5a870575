using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>Objects go in and come out through the API, encrypted at rest, with ranges, listing, replacement and deletion.</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class ObjectStorageTests(StorageServiceFixture fixture)
{
    private const int Segment = 64 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Segment - 1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData((3 * Segment) + 5)]
    public async Task Objects_round_trip_at_segment_edges_and_are_encrypted_at_rest(int length)
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var plaintext = PatternStream.Bytes(length, (ulong)length + 11);

        var created = await (await client.PutObjectAsync(organization, dataset, "images/a.bin", plaintext)).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(length, created.GetProperty("size").GetInt64());
        Assert.Equal("image", created.GetProperty("dataClass").GetString());
        Assert.False(created.TryGetProperty("wrappedDataKey", out _));

        var response = await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "images/a.bin"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(length, response.Content.Headers.ContentLength);
        Assert.Equal(plaintext, await response.Content.ReadAsByteArrayAsync());

        var blob = Assert.Single(Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization, dataset)));
        var stored = await File.ReadAllBytesAsync(blob);
        Assert.Equal(48 + length + (16 * Math.Max(1, (length + Segment - 1) / Segment)), stored.Length);
        if (length >= 16) Assert.Equal(-1, stored.AsSpan().IndexOf(plaintext.AsSpan(0, 16)));

        await fixture.Events.WaitForAsync("object.stored", e => e.GetProperty("objectId").GetString() == created.GetProperty("id").GetString()
            && e.GetProperty("dataClass").GetString() == "image" && e.GetProperty("organizationId").GetString() == organization);
    }

    [Fact]
    public async Task Range_reads_return_the_requested_bytes_and_out_of_bounds_ranges_get_416()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var plaintext = PatternStream.Bytes((4 * Segment) + 123, 5);
        await (await client.PutObjectAsync(organization, dataset, "weights.bin", plaintext, "model_weights")).JsonAsync(HttpStatusCode.Created);
        var path = StorageApi.ObjectPath(organization, dataset, "weights.bin");

        foreach (var (header, first, last) in new[] { ("bytes=0-9", 0, 9), ($"bytes={Segment - 3}-{(2 * Segment) + 3}", Segment - 3, (2 * Segment) + 3), ("bytes=-100", plaintext.Length - 100, plaintext.Length - 1), ($"bytes={3 * Segment}-", 3 * Segment, plaintext.Length - 1) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Range", header);
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {first}-{last}/{plaintext.Length}", response.Content.Headers.ContentRange?.ToString());
            Assert.Equal(plaintext[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
        }

        using var outside = new HttpRequestMessage(HttpMethod.Get, path);
        outside.Headers.TryAddWithoutValidation("Range", $"bytes={plaintext.Length}-");
        var refused = await client.SendAsync(outside);
        var problem = await refused.ProblemAsync(HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal("https://platform.dev/problems/range-not-satisfiable", problem.GetProperty("type").GetString());
        Assert.Equal($"bytes */{plaintext.Length}", refused.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Replacing_an_object_keeps_one_blob_and_listing_pages_by_name()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        foreach (var name in new[] { "c", "a", "b/1", "b/2" }) await (await client.PutObjectAsync(organization, dataset, name, [1, 2, 3], "annotation")).JsonAsync(HttpStatusCode.Created);
        await (await client.PutObjectAsync(organization, dataset, "a", [9, 9], "annotation")).JsonAsync(HttpStatusCode.Created);

        Assert.Equal([9, 9], await client.GetObjectBytesAsync(organization, dataset, "a"));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization, dataset)).Length);

        var first = await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects?limit=3")).JsonAsync();
        Assert.Equal(["a", "b/1", "b/2"], first.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        var next = first.GetProperty("next").GetString();
        var second = await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects?limit=3&after={Uri.EscapeDataString(next!)}")).JsonAsync();
        Assert.Equal(["c"], second.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Deleting_an_object_or_a_dataset_removes_bytes_and_metadata_and_tells_other_services()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var stored = await (await client.PutObjectAsync(organization, dataset, "x/heat.png", new byte[1000], "heatmap")).JsonAsync(HttpStatusCode.Created);
        await (await client.PutObjectAsync(organization, dataset, "y.png", new byte[10], "image")).JsonAsync(HttpStatusCode.Created);
        var folder = Path.Combine(fixture.RegionRoot, organization, dataset);
        Assert.Equal(2, Directory.GetFiles(folder).Length);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(StorageApi.ObjectPath(organization, dataset, "x/heat.png"))).StatusCode);
        await (await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "x/heat.png"))).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Single(Directory.GetFiles(folder));
        await fixture.Events.WaitForAsync("object.deleted", e => e.GetProperty("objectId").GetString() == stored.GetProperty("id").GetString()
            && e.GetProperty("dataClass").GetString() == "heatmap");

        var deleted = await (await client.DeleteAsync($"/v1/organizations/{organization}/datasets/{dataset}")).JsonAsync();
        Assert.Equal(1, deleted.GetProperty("objectsDeleted").GetInt32());
        Assert.Empty(Directory.GetFiles(folder));
        await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}")).ProblemAsync(HttpStatusCode.NotFound);
        await fixture.Events.WaitForAsync("dataset.deleted", e => e.GetProperty("datasetId").GetString() == dataset && e.GetProperty("objectsDeleted").GetInt32() == 1);
    }

    [Fact]
    public async Task The_gateway_principal_must_be_of_the_organization_in_the_path_with_the_right_scope()
    {
        var organization = StorageApi.NewOrganization();
        var dataset = await fixture.Gateway(organization).CreateDatasetAsync(organization);
        var path = $"/v1/organizations/{organization}/datasets/{dataset}";

        await (await fixture.Service.CreateClient().GetAsync(path)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await fixture.Gateway(organization).SendAsync(new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "Authorization", "Bearer " + StorageServiceFixture.OperatorToken } } })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Gateway(StorageApi.NewOrganization()).GetAsync(path)).ProblemAsync(HttpStatusCode.Forbidden);
        var readOnly = fixture.Gateway(organization, "dataset:read_only");
        await (await readOnly.GetAsync(path)).JsonAsync();
        await (await readOnly.PutObjectAsync(organization, dataset, "a", [1])).ProblemAsync(HttpStatusCode.Forbidden);
        await (await fixture.Gateway(organization, "training:full").GetAsync(path)).ProblemAsync(HttpStatusCode.Forbidden);

        // Another organization, authenticated as itself, cannot reach this dataset through its own path either.
        var other = StorageApi.NewOrganization();
        await (await fixture.Gateway(other).GetAsync($"/v1/organizations/{other}/datasets/{dataset}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Gateway(other).PutObjectAsync(other, dataset, "a", [1])).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_client_that_breaks_off_mid_upload_leaves_no_object_and_no_partial_file()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization, service: fixture.Kestrel);
        var dataset = await client.CreateDatasetAsync(organization);
        await (await client.PutObjectAsync(organization, dataset, "kept.bin", [1, 2, 3])).JsonAsync(HttpStatusCode.Created);

        var length = 8L * 1024 * 1024;
        await Assert.ThrowsAnyAsync<Exception>(() => client.PutObjectAsync(organization, dataset, "kept.bin", new FailingStream(length, length / 2), length));

        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (Directory.GetFiles(Path.Combine(fixture.RegionRoot, ".incoming")).Length > 0 && elapsed.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.RegionRoot, ".incoming")));
        Assert.Equal([1, 2, 3], await client.GetObjectBytesAsync(organization, dataset, "kept.bin"));
        Assert.Single(Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization, dataset)));
    }

    [Fact]
    public async Task Signed_in_users_read_as_viewers_and_write_as_developers()
    {
        var organization = StorageApi.NewOrganization();
        var dataset = await fixture.Gateway(organization).CreateDatasetAsync(organization);
        HttpClient User(string roles)
        {
            var client = fixture.Service.CreateClient();
            client.DefaultRequestHeaders.Add("X-Platform-Organization", organization);
            client.DefaultRequestHeaders.Add("X-Platform-User", "usr_0123456789abcdef0123456789abcdef");
            client.DefaultRequestHeaders.Add("X-Platform-Roles", roles);
            return client;
        }

        await (await User("Developer").PutObjectAsync(organization, dataset, "a.png", [1, 2], "image")).JsonAsync(HttpStatusCode.Created);
        // The gateway forwards the user's token beside its signed headers: one credential, the user it describes.
        var forwarded = User("Viewer");
        forwarded.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJlc2lnbmF0dXJl");
        Assert.Equal([1, 2], await forwarded.GetObjectBytesAsync(organization, dataset, "a.png"));
        Assert.Equal([1, 2], await User("Viewer").GetObjectBytesAsync(organization, dataset, "a.png"));
        await (await User("Viewer").PutObjectAsync(organization, dataset, "b.png", [1], "image")).ProblemAsync(HttpStatusCode.Forbidden);
        // An Auditor reads the audit log and nothing else: no object, not even to read.
        using var auditor = User("Auditor");
        await (await auditor.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/a.png")).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Labelers_may_store_annotations_only()
    {
        var organization = StorageApi.NewOrganization();
        var dataset = await fixture.Gateway(organization).CreateDatasetAsync(organization);
        var labeler = fixture.Gateway(organization, "dataset:labeler_only");

        await (await labeler.PutObjectAsync(organization, dataset, "boxes.json", [1], "annotation")).JsonAsync(HttpStatusCode.Created);
        await (await labeler.PutObjectAsync(organization, dataset, "cat.png", [1], "image")).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Bad_input_gets_a_problem_and_writes_nothing()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var unknownDataset = "ds_" + new string('0', 32);

        await (await client.PutObjectAsync(organization, unknownDataset, "a", [1])).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "absent"))).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"/v1/organizations/not-an-org/datasets/{dataset}")).ProblemAsync(HttpStatusCode.Forbidden);
        await (await client.PutObjectAsync(organization, dataset, "a", [1], "selfies")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "x", extra = 1 })).ProblemAsync(HttpStatusCode.BadRequest);

        foreach (var name in new[] { "..%2F..%2Fetc%2Fpasswd", "a%2F..%2F..%2Fb", "%2Fetc%2Fpasswd", "a%5C..%5Cb", "a%0Ab", new string('n', 300) })
        {
            var response = await client.PutObjectAsync(organization, dataset, name, [1, 2, 3]);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{name}: {(int)response.StatusCode}");
        }

        // NUL never reaches the service: the server refuses the path itself (Kestrel with 400, the test host by throwing).
        var nul = await Record.ExceptionAsync(async () => Assert.Equal(HttpStatusCode.BadRequest, (await client.PutObjectAsync(organization, dataset, "a%00b", [1])).StatusCode));
        Assert.True(nul is null or InvalidOperationException, nul?.ToString());

        // Declared longer than sent, and sent longer than declared.
        await (await client.PutObjectAsync(organization, dataset, "short", new MemoryStream(new byte[50]), 100)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PutObjectAsync(organization, dataset, "long", new PatternStream(3 * Segment, 1), 10)).ProblemAsync(HttpStatusCode.BadRequest);

        // A stream that cannot say its length goes out chunked, without Content-Length (over real HTTP: the test host
        // would buffer it and make one up).
        var chunked = new StreamContent(new PatternStream(10, 1));
        var lengthless = await fixture.Gateway(organization, service: fixture.Kestrel).PutAsync($"{StorageApi.ObjectPath(organization, dataset, "chunked")}?dataClass=image", chunked);
        await lengthless.ProblemAsync(HttpStatusCode.LengthRequired);

        var tooLarge = await client.PutObjectAsync(organization, dataset, "huge", new PatternStream(10, 1), (4L * 1024 * 1024 * 1024) + 1);
        await tooLarge.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        var listing = await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects")).JsonAsync();
        Assert.Empty(listing.GetProperty("items").EnumerateArray());
        var folder = Path.Combine(fixture.RegionRoot, organization, dataset);
        Assert.True(!Directory.Exists(folder) || Directory.GetFiles(folder).Length == 0);
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.RegionRoot, ".incoming")));
    }
}
