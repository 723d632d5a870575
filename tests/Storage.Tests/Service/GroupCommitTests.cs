using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Security.Authentication;
using Platform.Storage.Blobs;
using Platform.Storage.Keys;
using Platform.Storage.Model;
using Platform.Storage.Objects;
using Platform.Storage.Tests.Infrastructure;
using static Platform.Storage.Tests.Infrastructure.StorageApi;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// Group commit of uploads (issue 20 item 3): a batch of uploads shares one round of fsyncs and one transaction, each
/// upload ends as it would have alone, a failure fails only the uploads whose work failed, and no upload is answered
/// before its blob and its row are durable. Each test runs its own <see cref="UploadCommitter"/> on the fixture's
/// database and blob root, so that it decides when the batch starts.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class GroupCommitTests(StorageServiceFixture fixture)
{
    private static readonly ChangeContext Change = new("key_grouptest", "req-group", "203.0.113.9", "tests");

    private FileSystemBlobStore Blobs => fixture.Service.Services.GetRequiredService<FileSystemBlobStore>();

    private ObjectCatalog Catalog => fixture.Service.Services.GetRequiredService<ObjectCatalog>();

    [Fact]
    public async Task A_batch_commits_in_one_transaction_and_each_upload_ends_as_it_would_alone()
    {
        var (organization, dataset, client) = await DatasetAsync();
        var taken = await PutAsync(client, organization, dataset, "taken", "image");
        var labelled = await PutAsync(client, organization, dataset, "labelled", "image");
        var committer = NewCommitter(Blobs);
        var items = new[]
        {
            await WrittenAsync(organization, dataset, "fresh"),
            await WrittenAsync(organization, dataset, "taken"),
            await WrittenAsync(organization, dataset, "labelled", mayReplace: dataClass => dataClass == "annotation"),
            await WrittenAsync(organization, dataset, "twice"),
            await WrittenAsync(organization, dataset, "twice"),
            await WrittenAsync(organization, DatasetIds.New(StorageServiceFixture.Region), "nowhere"),
        };

        // All handed over before the committer starts: one batch.
        var commits = items.Select(item => committer.CommitAsync(item.Writer, item.Row, committer.BeginWriting())).ToArray();
        await committer.StartAsync(CancellationToken.None);
        var results = await Task.WhenAll(commits);
        await committer.StopAsync(CancellationToken.None);

        Assert.Equal(1, committer.Batches);
        Assert.Equal((InsertOutcome.Stored, (string?)null), results[0]);
        Assert.Equal((InsertOutcome.Stored, BlobKeys.For(organization, dataset, taken)), results[1]);
        Assert.Equal(InsertOutcome.ReplacementRefused, results[2].Outcome);
        Assert.Equal((InsertOutcome.Stored, (string?)null), results[3]);
        Assert.Equal((InsertOutcome.Stored, items[3].Row.Stored.BlobKey), results[4]);
        Assert.Equal(InsertOutcome.DatasetGone, results[5].Outcome);

        Assert.Equal(items[0].Row.Stored.Id, (await RowAsync(organization, dataset, "fresh"))?.Id);
        Assert.Equal(items[1].Row.Stored.Id, (await RowAsync(organization, dataset, "taken"))?.Id);
        Assert.Equal(labelled, (await RowAsync(organization, dataset, "labelled"))?.Id);
        Assert.Equal(items[4].Row.Stored.Id, (await RowAsync(organization, dataset, "twice"))?.Id);
        foreach (var stored in new[] { items[0], items[1], items[4] }) Assert.True(File.Exists(Path.Combine(fixture.RegionRoot, stored.Row.Stored.BlobKey)));
        foreach (var item in items) await item.Writer.DisposeAsync();
    }

    [Fact]
    public async Task A_row_conflict_in_one_upload_of_a_batch_fails_only_that_upload()
    {
        var (organization, dataset, client) = await DatasetAsync();
        var existing = await PutAsync(client, organization, dataset, "existing", "image");
        var committer = NewCommitter(Blobs);
        var items = new[]
        {
            await WrittenAsync(organization, dataset, "one"),
            // The same object id as a stored object: its row cannot be inserted, so the batch's transaction fails.
            await WrittenAsync(organization, dataset, "two", id: existing),
            await WrittenAsync(organization, dataset, "three"),
        };

        var commits = items.Select(item => committer.CommitAsync(item.Writer, item.Row, committer.BeginWriting())).ToArray();
        await committer.StartAsync(CancellationToken.None);
        var conflict = await Assert.ThrowsAsync<PostgresException>(() => commits[1]);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, conflict.SqlState);
        Assert.Equal(InsertOutcome.Stored, (await commits[0]).Outcome);
        Assert.Equal(InsertOutcome.Stored, (await commits[2]).Outcome);
        await committer.StopAsync(CancellationToken.None);

        Assert.Equal(1, committer.Batches);
        Assert.Equal(items[0].Row.Stored.Id, (await RowAsync(organization, dataset, "one"))?.Id);
        Assert.Equal(items[2].Row.Stored.Id, (await RowAsync(organization, dataset, "three"))?.Id);
        Assert.Null(await RowAsync(organization, dataset, "two"));
        foreach (var item in items) await item.Writer.DisposeAsync();
    }

    [Fact]
    public async Task No_upload_is_answered_or_recorded_before_its_blob_is_durable_nor_answered_before_its_row_commits()
    {
        var (organization, dataset, _) = await DatasetAsync();
        var record = (await Catalog.GetDatasetAsync(organization, "live", dataset, CancellationToken.None))!;

        // The blobs' commit held: neither upload is answered, and neither row exists.
        var held = new GatedBlobStore(Blobs);
        var committer = NewCommitter(held);
        var uploads = NewUploads(held, committer);
        await committer.StartAsync(CancellationToken.None);
        var first = UploadAsync(uploads, record, "first");
        var second = UploadAsync(uploads, record, "second");
        await held.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(first.IsCompleted || second.IsCompleted);
        Assert.Null(await RowAsync(organization, dataset, "first"));
        Assert.Null(await RowAsync(organization, dataset, "second"));
        held.Gate.SetResult();
        Assert.Equal(InsertOutcome.Stored, (await first).Outcome);
        Assert.Equal(InsertOutcome.Stored, (await second).Outcome);
        Assert.NotNull(await RowAsync(organization, dataset, "first"));
        await committer.StopAsync(CancellationToken.None);

        // The row held by a lock on its dataset: the blob is durable and in place, and the upload still unanswered.
        var open = new GatedBlobStore(Blobs);
        open.Gate.SetResult();
        committer = NewCommitter(open);
        uploads = NewUploads(open, committer);
        await committer.StartAsync(CancellationToken.None);
        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("storagedb"));
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var hold = new NpgsqlCommand("SELECT 1 FROM datasets WHERE id = $1 FOR UPDATE", connection, transaction) { Parameters = { new() { Value = dataset } } })
            {
                await hold.ExecuteScalarAsync();
            }

            var third = UploadAsync(uploads, record, "third");
            await open.Durable.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await WaitForLockWaitAsync(dataSource);
            Assert.False(third.IsCompleted);
            Assert.True(File.Exists(Path.Combine(fixture.RegionRoot, Assert.Single(open.LastKeys))));
            Assert.Null(await RowAsync(organization, dataset, "third"));
            await transaction.RollbackAsync();
            Assert.Equal(InsertOutcome.Stored, (await third).Outcome);
        }

        Assert.NotNull(await RowAsync(organization, dataset, "third"));
        await committer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_upload_still_writing_holds_a_batch_back_at_most_MaxWait_on_the_service_clock()
    {
        var (organization, dataset, _) = await DatasetAsync();
        var committer = NewCommitter(Blobs, maxWait: TimeSpan.FromMilliseconds(50));
        using var stillWriting = committer.BeginWriting();
        var item = await WrittenAsync(organization, dataset, "waited");
        var commit = committer.CommitAsync(item.Writer, item.Row, committer.BeginWriting());
        await committer.StartAsync(CancellationToken.None);

        // The clock moves only here: the batch ends its wait when MaxWait has passed on it, whoever is still writing.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!commit.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            fixture.Clock.Advance(TimeSpan.FromMilliseconds(50));
            await Task.WhenAny(commit, Task.Delay(20));
        }

        Assert.Equal(InsertOutcome.Stored, (await commit).Outcome);
        await committer.StopAsync(CancellationToken.None);
        await item.Writer.DisposeAsync();
    }

    private async Task<(string Organization, string Dataset, HttpClient Client)> DatasetAsync()
    {
        var organization = NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        // Key version 1, which the rows below name: a row whose organization has no usable key version is not written.
        await fixture.Service.Services.GetRequiredService<OrganizationKeyRing>().ForDataKeyAsync(organization, CancellationToken.None);
        return (organization, dataset, client);
    }

    private static async Task<string> PutAsync(HttpClient client, string organization, string dataset, string name, string dataClass) =>
        (await (await client.PutObjectAsync(organization, dataset, name, [9, 9], dataClass)).JsonAsync(System.Net.HttpStatusCode.Created)).GetProperty("id").GetString()!;

    private Task<StoredObject?> RowAsync(string organization, string dataset, string name) => Catalog.GetObjectAsync(organization, "live", dataset, name, CancellationToken.None);

    private async Task<(IBlobWriter Writer, NewObjectRow Row)> WrittenAsync(string organization, string dataset, string name, string? id = null, Func<string, bool>? mayReplace = null)
    {
        var blobKey = BlobKeys.For(organization, dataset, ObjectIds.New(StorageServiceFixture.Region));
        var writer = await Blobs.CreateAsync(blobKey, CancellationToken.None);
        await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
        var stored = new StoredObject(id ?? ObjectIds.New(StorageServiceFixture.Region), dataset, organization, name, "artifact", 3, "application/octet-stream", 1, new byte[60],
            blobKey, fixture.Clock.GetUtcNow(), Change.Actor);
        return (writer, new NewObjectRow(stored, Change, mayReplace ?? (_ => true)));
    }

    private UploadCommitter NewCommitter(IBlobStore blobs, TimeSpan? maxWait = null) =>
        new(blobs, Catalog, fixture.Clock, Options.Create(new StorageOptions { GroupCommit = new() { MaxBatch = 16, MaxWait = maxWait ?? TimeSpan.Zero } }),
            NullLogger<UploadCommitter>.Instance);

    private ObjectUploads NewUploads(IBlobStore blobs, UploadCommitter committer) =>
        new(blobs, fixture.Service.Services.GetRequiredService<UploadsInFlight>(), fixture.Service.Services.GetRequiredService<DataKeys>(), committer, fixture.Clock,
            fixture.Service.Services.GetRequiredService<IOptions<StorageOptions>>(), NullLogger<ObjectUploads>.Instance);

    private static Task<(InsertOutcome Outcome, StoredObject? Stored)> UploadAsync(ObjectUploads uploads, Dataset dataset, string name) =>
        uploads.UploadAsync(dataset, name, "artifact", "application/octet-stream", 3, new MemoryStream([1, 2, 3]), Change, _ => true, CancellationToken.None);

    /// <summary>Until a backend of this database waits on a lock (the batch's transaction behind the test's).</summary>
    private static async Task WaitForLockWaitAsync(NpgsqlDataSource dataSource)
    {
        await using var waiting = dataSource.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while ((long)(await waiting.ExecuteScalarAsync())! == 0)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail("The batch's transaction never waited on the dataset's lock.");
            await Task.Delay(20);
        }
    }

    /// <summary>The blob store, with its batch commit held at a gate and its completion announced.</summary>
    private sealed class GatedBlobStore(IBlobStore inner) : IBlobStore
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Durable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string[] LastKeys { get; private set; } = [];

        public Task<IBlobWriter> CreateAsync(string key, CancellationToken cancellationToken) => inner.CreateAsync(key, cancellationToken);

        public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

        public async Task<Exception?[]> CommitAsync(IReadOnlyList<IBlobWriter> writers, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Gate.Task;
            var failures = await inner.CommitAsync(writers, cancellationToken);
            LastKeys = writers.Select(w => w.Key).ToArray();
            Durable.TrySetResult();
            return failures;
        }
    }
}
