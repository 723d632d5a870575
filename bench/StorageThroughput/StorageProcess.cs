using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Platform.Bench.StorageThroughput;

/// <summary>The storage service as its own process (the build next to this benchmark's), on a free loopback port.</summary>
internal sealed class StorageProcess : IAsyncDisposable
{
    public const string ServiceToken = "bench-service-token-0123456789-0123456789-0123";

    /// <summary>The gateway signing key the service checks <c>X-Platform-*</c> headers with (<see cref="GatewaySigningHandler"/>).</summary>
    public static readonly byte[] GatewaySigningKey = RandomNumberGenerator.GetBytes(32);
    private readonly Process process;
    private readonly string blobRoot;

    private StorageProcess(Process process, Uri address, string blobRoot)
    {
        this.process = process;
        Address = address;
        this.blobRoot = blobRoot;
    }

    public Uri Address { get; }

    /// <summary>Where the service keeps its blobs (a peer writes beside it, on the same disk).</summary>
    public string BlobRoot => blobRoot;

    public int Id => process.Id;

    public static async Task<StorageProcess> StartAsync(string storageDb, string messaging)
    {
        var port = FreePort();
        var blobRoot = Path.Combine(Path.GetTempPath(), $"platform-bench-blobs-{Guid.NewGuid():n}");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var assembly = ServiceAssembly();
        start.ArgumentList.Add(assembly);
        // The content root, where appsettings*.json are.
        start.WorkingDirectory = Path.GetDirectoryName(assembly)!;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__storagedb"] = storageDb,
            ["ConnectionStrings__messaging"] = messaging,
            ["Storage__Region"] = "bench",
            ["Storage__BlobRoot"] = blobRoot,
            ["Storage__RootKey__Provider"] = "File",
            ["Storage__RootKey__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Storage__RootKey__OrganizationKeyFolder"] = blobRoot + "-organization-keys",
            ["Storage__MaxObjectBytes"] = (8L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Storage__ServiceTokens__0__Name"] = "bench",
            ["Storage__ServiceTokens__0__Token"] = ServiceToken,
            ["Storage__ServiceTokens__0__Organizations__0"] = "*",
            ["GatewaySigning__Key"] = Convert.ToBase64String(GatewaySigningKey),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[storage] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[storage] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient { BaseAddress = address };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited) throw new InvalidOperationException($"The storage service exited with {process.ExitCode}.");
            try
            {
                if ((await probe.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return new StorageProcess(process, address, blobRoot);
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The storage service did not become healthy within 60 s.");
    }

    /// <summary>Resets the kernel's peak-RSS mark of the service (clear_refs 5); <see cref="PeakRssBytes"/> then reads the peak since.</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{process.Id}/clear_refs", "5");

    public long PeakRssBytes()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    private static string ServiceAssembly()
    {
        // bench/StorageThroughput/bin/<Configuration>/net10.0/ → services/storage/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = here.Parent!.Name;
        var repository = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(repository, "services", "storage", "bin", configuration, "net10.0", "Platform.Storage.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build services/storage first.", path);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        if (Directory.Exists(blobRoot)) Directory.Delete(blobRoot, recursive: true);
        if (Directory.Exists(blobRoot + "-organization-keys")) Directory.Delete(blobRoot + "-organization-keys", recursive: true);
    }
}
