using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Platform.Audit.Checkpoints;
using Platform.Audit.Data;
using Platform.Audit.Events;

namespace Platform.Audit.Tests;

/// <summary>The schedule of checkpoints, on a fake clock: one per interval per log, also when the log has not grown.</summary>
[Collection(AuditServiceCollection.Name)]
public sealed class CheckpointScheduleTests(AuditServiceFixture fixture)
{
    [Fact]
    public async Task Every_interval_signs_a_checkpoint_of_every_log_also_when_nothing_happened()
    {
        var organization = $"org_{Guid.NewGuid():n}"[..16];
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await fixture.Service.Services.GetRequiredService<AuditStore>().InsertAsync([new AuditRecorded
            {
                OccurredAt = DateTimeOffset.UtcNow, OrganizationId = organization, Actor = "user:usr_1", Action = "key.created", Outcome = "success",
            }], connection, null, CancellationToken.None);
        }

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new CheckpointOptions { SigningKey = AuditServiceFixture.CheckpointKey, Interval = TimeSpan.FromMinutes(5) });
        using var signer = new NoteSigner(options);
        using var publisher = new CheckpointPublisher(dataSource, signer, options, clock, NullLogger<CheckpointPublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            await WaitForCheckpointsAsync(dataSource, organization, 1);
            clock.Advance(TimeSpan.FromMinutes(5));
            await WaitForCheckpointsAsync(dataSource, organization, 2);
            // The clock has not moved since: the second tick signed once.
            Assert.Equal(2, await CountAsync(dataSource, organization));
            clock.Advance(TimeSpan.FromMinutes(5));
            await WaitForCheckpointsAsync(dataSource, organization, 3);
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
        }

        await using var sizes = dataSource.CreateCommand("SELECT DISTINCT tree_size FROM audit_checkpoints WHERE log_id = $1");
        sizes.Parameters.Add(new() { Value = organization });
        Assert.Equal(1L, await sizes.ExecuteScalarAsync());
    }

    private static async Task WaitForCheckpointsAsync(NpgsqlDataSource dataSource, string organization, long count)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (await CountAsync(dataSource, organization) < count)
        {
            if (DateTimeOffset.UtcNow > deadline) Assert.Fail($"Checkpoint {count} of {organization} was not signed.");
            await Task.Delay(50);
        }
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string organization)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM audit_checkpoints WHERE log_id = $1");
        command.Parameters.Add(new() { Value = organization });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
