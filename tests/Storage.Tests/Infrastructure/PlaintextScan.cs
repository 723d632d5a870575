using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Platform.Storage.Tests.Infrastructure;

/// <summary>Looks for a secret in what a backup would hold: a pg_dump of the database and every file under a folder.</summary>
public static class PlaintextScan
{
    /// <summary>The forms a value could take at rest: raw, hex (bytea in a dump) and base64.</summary>
    public static IReadOnlyList<byte[]> Forms(byte[] secret) =>
    [
        secret,
        Encoding.ASCII.GetBytes(Convert.ToHexString(secret).ToLowerInvariant()),
        Encoding.ASCII.GetBytes(Convert.ToBase64String(secret).TrimEnd('=')[..Math.Min(24, Convert.ToBase64String(secret).TrimEnd('=').Length)]),
    ];

    public static async Task<byte[]> DumpAsync(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(PgDump()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--no-owner", "--data-only", "--inserts" }) start.ArgumentList.Add(argument);
        start.Environment["PGHOST"] = settings.Host;
        start.Environment["PGPORT"] = settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = settings.Username;
        start.Environment["PGPASSWORD"] = settings.Password;
        start.Environment["PGDATABASE"] = settings.Database;
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await copy;
        Assert.True(process.ExitCode == 0, $"pg_dump failed: {await error}");
        Assert.True(output.Length > 1000, "The dump is suspiciously small.");
        return output.ToArray();
    }

    public static bool Contains(byte[] haystack, byte[] secret) => Forms(secret).Any(form => haystack.AsSpan().IndexOf(form) >= 0);

    public static IEnumerable<string> FilesContaining(string folder, byte[] secret) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(file => Contains(File.ReadAllBytes(file), secret));

    /// <summary>The server's own pg_dump (newest versioned Debian install), which matches the server the harness started.</summary>
    private static string PgDump() =>
        (Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin", "pg_dump")).FirstOrDefault(File.Exists)
            : null) ?? "pg_dump";
}
