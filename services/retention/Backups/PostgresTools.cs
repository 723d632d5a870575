using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Platform.Retention.Backups;

/// <summary>
/// PostgreSQL's own pg_dump and pg_restore, the server's version: the newest of Debian's <c>/usr/lib/postgresql/N/bin</c>
/// (where the AppHost's PostgreSQL resource finds its programs), else <see cref="BackupOptions.PostgresBinDirectory"/>,
/// else PATH. The password goes in the child's environment, never on its command line or in a log.
/// </summary>
internal static class PostgresTools
{
    public static string Find(string program, string? configured)
    {
        if (configured is { Length: > 0 }) return Path.Combine(configured, program);
        var versioned = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin", program)).FirstOrDefault(File.Exists)
            : null;
        return versioned ?? program;
    }

    /// <param name="readOutput">Consumes the program's standard output (a dump, streamed: no plaintext file).</param>
    /// <param name="writeInput">Writes the program's standard input (a dump to restore), then it is closed.</param>
    public static async Task RunAsync(string program, string connectionString, IEnumerable<string> arguments, CancellationToken cancellationToken,
        Func<Stream, Task>? readOutput = null, Func<Stream, Task>? writeInput = null)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = writeInput is not null, UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PGHOST"] = settings.Host;
        start.Environment["PGPORT"] = settings.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = settings.Username;
        start.Environment["PGPASSWORD"] = settings.Password;
        start.Environment["PGDATABASE"] = settings.Database;
        start.Environment["PGCONNECT_TIMEOUT"] = "10";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Path.GetFileName(program)} could not be started.");
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        Task output = readOutput is null ? process.StandardOutput.ReadToEndAsync(cancellationToken) : readOutput(process.StandardOutput.BaseStream);
        try
        {
            if (writeInput is not null)
            {
                try
                {
                    await writeInput(process.StandardInput.BaseStream);
                }
                catch (IOException) when (process.HasExited)
                {
                    // The program stopped reading (it failed): its exit code and message say why.
                }
                finally
                {
                    try { process.StandardInput.Close(); } catch (IOException) { }
                }
            }

            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await output;
        var message = await error;
        if (process.ExitCode != 0)
        {
            // pg_dump's and pg_restore's own messages name objects, not secrets (the password is in the environment).
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed with exit code {process.ExitCode}: {Tail(message)}");
        }
    }

    private static string Tail(string text) => text.Length <= 600 ? text.Trim() : text[^600..].Trim();
}
