using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Platform.Bench.AuditExport;

/// <summary>The audit service as its own process (the build next to this benchmark's), on a free loopback port.</summary>
internal sealed class AuditProcess : IAsyncDisposable
{
    public const string ReaderToken = "bench-reader-token-0123456789-0123456789-0123";
    private readonly Process process;

    private AuditProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<AuditProcess> StartAsync(string auditDb, string messaging, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var assembly = ServiceAssembly();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        start.WorkingDirectory = Path.GetDirectoryName(assembly)!;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__auditdb"] = auditDb,
            ["ConnectionStrings__messaging"] = messaging,
            ["Audit__Readers__0__Name"] = "bench",
            ["Audit__Readers__0__Token"] = ReaderToken,
            ["Audit__Readers__0__Organizations__0"] = "*",
            ["Audit__Checkpoints__SigningKey"] = "bench-checkpoint-key-0123456789-0123456789-01",
            ["Audit__Checkpoints__Interval"] = "01:00:00",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>()) environment[name] = value;
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[audit] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[audit] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient { BaseAddress = address };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited) throw new InvalidOperationException($"The audit service exited with {process.ExitCode}.");
            try
            {
                if ((await probe.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return new AuditProcess(process, address);
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The audit service did not become healthy within 60 s.");
    }

    /// <summary>Resets the kernel's peak-RSS mark of the service (clear_refs 5); <see cref="PeakRssBytes"/> then reads the peak since.</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{process.Id}/clear_refs", "5");

    public long PeakRssBytes() => Status("VmHWM:");

    public long RssBytes() => Status("VmRSS:");

    private long Status(string field)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static string ServiceAssembly()
    {
        // bench/AuditExport/bin/<Configuration>/net10.0/ → services/audit/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = here.Parent!.Name;
        var repository = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var assembly = Path.Combine(repository, "services", "audit", "bin", configuration, here.Name, "Platform.Audit.dll");
        return File.Exists(assembly) ? assembly : throw new FileNotFoundException("Build the audit service first (dotnet build -c " + configuration + ").", assembly);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
