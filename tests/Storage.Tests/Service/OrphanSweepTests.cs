using Microsoft.Extensions.DependencyInjection;
using Platform.Storage.Blobs;
using Platform.Storage.Model;
using Platform.Storage.Tests.Infrastructure;
using static Platform.Storage.Tests.Infrastructure.StorageApi;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// What a crash leaves in the blob root (a blob renamed into place whose row never committed, an upload's
/// <c>.incoming/</c> file) goes after the grace period of the service's clock, and nothing that is still wanted does.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class OrphanSweepTests(StorageServiceFixture fixture)
{
    private static readonly TimeSpan Grace = new StorageOptions().OrphanGracePeriod;

    [Fact]
    public async Task Orphan_blobs_and_stale_incoming_files_are_removed_after_the_grace_period_and_stored_objects_stay()
    {
        var organization = NewOrganization();
        using var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        (await client.PutObjectAsync(organization, dataset, "kept.bin", [1, 2, 3])).EnsureSuccessStatusCode();
        var kept = Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization, dataset)).Single();

        var orphan = Write(Path.Combine(fixture.RegionRoot, organization, dataset, ObjectIds.New(StorageServiceFixture.Region)));
        var incoming = Write(Path.Combine(fixture.RegionRoot, ".incoming", Guid.NewGuid().ToString("N")));
        var foreign = Write(Path.Combine(fixture.RegionRoot, organization, dataset, "notes.txt"));
        var sweeper = fixture.Service.Services.GetRequiredService<OrphanSweeper>();

        // Within the grace period an orphan may be an upload between its rename and its commit: left alone.
        await fixture.AdvanceAsync(Grace - TimeSpan.FromMinutes(1));
        await sweeper.SweepAsync(CancellationToken.None);
        Assert.True(File.Exists(orphan));
        Assert.True(File.Exists(incoming));

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(2));
        await sweeper.SweepAsync(CancellationToken.None);
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(incoming));
        Assert.True(File.Exists(kept));
        Assert.True(File.Exists(foreign), "A file the service did not name is not its to remove.");
        Assert.Equal([1, 2, 3], await client.GetObjectBytesAsync(organization, dataset, "kept.bin"));
    }

    [Fact]
    public async Task A_blob_whose_upload_is_still_committing_is_never_swept_however_old()
    {
        var organization = NewOrganization();
        using var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var objectId = ObjectIds.New(StorageServiceFixture.Region);
        var committing = Write(Path.Combine(fixture.RegionRoot, organization, dataset, objectId));
        var sweeper = fixture.Service.Services.GetRequiredService<OrphanSweeper>();
        var uploads = fixture.Service.Services.GetRequiredService<UploadsInFlight>();

        using (uploads.Begin(BlobKeys.For(organization, dataset, objectId)))
        {
            await fixture.AdvanceAsync(Grace * 3);
            await sweeper.SweepAsync(CancellationToken.None);
            Assert.True(File.Exists(committing));
        }

        await sweeper.SweepAsync(CancellationToken.None);
        Assert.False(File.Exists(committing));
    }

    [Fact]
    public async Task An_incoming_file_still_being_written_is_never_swept_however_old()
    {
        var organization = NewOrganization();
        var blobs = fixture.Service.Services.GetRequiredService<FileSystemBlobStore>();
        var sweeper = fixture.Service.Services.GetRequiredService<OrphanSweeper>();
        await using (var writer = await blobs.CreateAsync(BlobKeys.For(organization, DatasetIds.New(StorageServiceFixture.Region), ObjectIds.New(StorageServiceFixture.Region)), CancellationToken.None))
        {
            await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
            var open = Directory.GetFiles(blobs.Incoming).Single(blobs.IsBeingWritten);
            File.SetLastWriteTimeUtc(open, fixture.Clock.GetUtcNow().UtcDateTime - Grace * 2);

            await sweeper.SweepAsync(CancellationToken.None);
            Assert.True(File.Exists(open));
        }
    }

    /// <summary>A file last written "now" by the service's clock, which tests move ahead of the real one.</summary>
    private string Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0x50, 0x53, 0x41, 0x01]);
        File.SetLastWriteTimeUtc(path, fixture.Clock.GetUtcNow().UtcDateTime);
        return path;
    }
}
