using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Audit.Log;
using Platform.Bench.AuditExport;
using Platform.Hosting.Testing;

namespace Platform.Bench.AuditThroughput;

/// <summary>
/// Offline verification of a large log: N entries (default 1,000,000) laid straight into auditdb as the appender
/// stores them (leaves, subtrees, right edge, salted commitments), a checkpoint signed by the audit service itself,
/// then <c>platformctl audit bundle</c> and <c>platformctl audit verify</c> timed as processes.
/// </summary>
internal static class BundleBench
{
    private const string Organization = "org_bench_bundle";

    public static async Task RunAsync(int entries)
    {
        await using var servers = await TestServers.LeaseAsync();
        await using var service = await AuditProcess.StartAsync(servers.GetConnectionString("auditdb"), servers.GetConnectionString("messaging"),
            new Dictionary<string, string> { ["Audit__Checkpoints__Interval"] = "00:00:02" });
        await using var db = NpgsqlDataSource.Create(servers.GetConnectionString("auditdb"));
        var clock = Stopwatch.StartNew();
        await LayLogAsync(db, entries);
        Console.WriteLine($"set-up: {entries:N0} log entries laid into auditdb in {clock.Elapsed.TotalSeconds:0.0} s");

        using var client = new HttpClient { BaseAddress = service.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditProcess.ReaderToken);
        var waited = Stopwatch.StartNew();
        while ((await client.GetAsync($"/v1/audit/checkpoints/latest?organization={Organization}")) is var response
            && (!response.IsSuccessStatusCode || (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("treeSize").GetInt64() < entries))
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("No checkpoint of the laid log.");
            await Task.Delay(500);
        }

        var key = (await client.GetFromJsonAsync<JsonElement>("/v1/audit/checkpoint-keys")).GetProperty("current").GetString()!;
        var bundle = Path.Combine(Path.GetTempPath(), $"bench-bundle-{Guid.NewGuid():n}.ndjson");
        try
        {
            var (download, _) = await PlatformctlAsync(["audit", "bundle", "--gateway", service.Address.ToString(), "--organization", Organization, "--output", bundle]);
            var size = new FileInfo(bundle).Length;
            Console.WriteLine($"platformctl audit bundle: {entries:N0} entries, {size / 1e6:N0} MB in {download.TotalSeconds:0.00} s ({entries / download.TotalSeconds:N0} entries/s)");
            var (verify, peak) = await PlatformctlAsync(["audit", "verify", bundle, "--key", key]);
            Console.WriteLine($"platformctl audit verify (offline): {entries:N0} entries in {verify.TotalSeconds:0.00} s ({entries / verify.TotalSeconds:N0} entries/s), peak RSS {peak / (1 << 20):N0} MiB");
        }
        finally
        {
            File.Delete(bundle);
        }
    }

    /// <summary>Runs the built platformctl as its own process; its wall time and peak RSS. Fails on a non-zero exit.</summary>
    private static async Task<(TimeSpan Time, long PeakRss)> PlatformctlAsync(string[] args)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var repository = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var cli = Path.Combine(repository, "tools", "platformctl", "bin", here.Parent.Name, here.Name, "platformctl.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["PLATFORM_TOKEN"] = AuditProcess.ReaderToken;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        long peak = 0;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        while (!process.HasExited)
        {
            try
            {
                var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null) peak = Math.Max(peak, long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
            }
            catch (IOException)
            {
                // Exited between the check and the read.
            }

            await Task.Delay(50);
        }

        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        if (process.ExitCode != 0) throw new InvalidOperationException($"platformctl {args[1]} exited {process.ExitCode}: {await output}{await error}");
        Console.WriteLine($"  {(await output).Trim()}");
        return (elapsed, peak);
    }

    /// <summary>The entries, their leaves and every complete subtree, and the log's size and right edge, as the appender stores them.</summary>
    private static async Task LayLogAsync(NpgsqlDataSource db, int count)
    {
        await using var connection = await db.OpenConnectionAsync();
        var frontier = new List<byte[]>();
        var nodes = new List<(int Level, long Index, byte[] Hash)>(count * 2);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        await using (var writer = await connection.BeginBinaryImportAsync("""
            COPY audit_events (event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details, received_at,
                               log_id, leaf_index, target_salt, ip_salt, user_agent_salt, details_salt) FROM STDIN (FORMAT binary)
            """))
        {
            for (var i = 0; i < count; i++)
            {
                var at = LeafData.Truncate(start.AddTicks(i * 10L));
                var target = $"/v1/organizations/{Organization}/datasets/ds_{i % 1000}/objects/img/{i}.png";
                var ip = $"203.0.113.{i % 250}";
                const string agent = "Mozilla/5.0 (X11; Linux x86_64) bench";
                var details = new Dictionary<string, string> { ["method"] = "PUT", ["status"] = "201", ["latencyMs"] = "3.2" };
                byte[] targetSalt = LeafData.NewSalt(), ipSalt = LeafData.NewSalt(), agentSalt = LeafData.NewSalt(), detailsSalt = LeafData.NewSalt();
                var eventId = $"evt_bundle_{i:D8}";
                var leaf = LeafData.Serialize(new LeafData.Fields(eventId, at, Organization, $"usr_{i % 97:D4}", "http.request", "success", $"req_{i:x32}", "eu",
                    LeafData.Commit(targetSalt, target), LeafData.Commit(ipSalt, ip), LeafData.Commit(agentSalt, agent), LeafData.CommitDetails(detailsSalt, details)));
                MerkleTree.Append(frontier, i, MerkleTree.LeafHash(leaf), (level, index, hash) => nodes.Add((level, index, hash)));

                await writer.StartRowAsync();
                await writer.WriteAsync(eventId, NpgsqlDbType.Text);
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(Organization, NpgsqlDbType.Text);
                await writer.WriteAsync($"usr_{i % 97:D4}", NpgsqlDbType.Text);
                await writer.WriteAsync("http.request", NpgsqlDbType.Text);
                await writer.WriteAsync(target, NpgsqlDbType.Text);
                await writer.WriteAsync("success", NpgsqlDbType.Text);
                await writer.WriteAsync(ip, NpgsqlDbType.Text);
                await writer.WriteAsync($"req_{i:x32}", NpgsqlDbType.Text);
                await writer.WriteAsync(agent, NpgsqlDbType.Text);
                await writer.WriteAsync("eu", NpgsqlDbType.Text);
                await writer.WriteAsync(JsonSerializer.Serialize(details), NpgsqlDbType.Jsonb);
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(Organization, NpgsqlDbType.Text);
                await writer.WriteAsync((long)i, NpgsqlDbType.Bigint);
                await writer.WriteAsync(targetSalt, NpgsqlDbType.Bytea);
                await writer.WriteAsync(ipSalt, NpgsqlDbType.Bytea);
                await writer.WriteAsync(agentSalt, NpgsqlDbType.Bytea);
                await writer.WriteAsync(detailsSalt, NpgsqlDbType.Bytea);
            }

            await writer.CompleteAsync();
        }

        await using (var writer = await connection.BeginBinaryImportAsync("COPY audit_log_nodes (log_id, level, index, hash) FROM STDIN (FORMAT binary)"))
        {
            foreach (var (level, index, hash) in nodes)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(Organization, NpgsqlDbType.Text);
                await writer.WriteAsync(level, NpgsqlDbType.Integer);
                await writer.WriteAsync(index, NpgsqlDbType.Bigint);
                await writer.WriteAsync(hash, NpgsqlDbType.Bytea);
            }

            await writer.CompleteAsync();
        }

        await using var log = new NpgsqlCommand("INSERT INTO audit_logs (log_id, size, frontier) VALUES ($1, $2, $3)", connection);
        log.Parameters.Add(new() { Value = Organization });
        log.Parameters.Add(new() { Value = (long)count });
        log.Parameters.Add(new() { Value = frontier.SelectMany(h => h).ToArray() });
        await log.ExecuteNonQueryAsync();
        await using var analyze = new NpgsqlCommand("ANALYZE audit_events; ANALYZE audit_log_nodes", connection);
        await analyze.ExecuteNonQueryAsync();
    }
}
