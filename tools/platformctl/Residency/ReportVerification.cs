using System.Text.Json;
using Platform.Ctl.Audit;

namespace Platform.Ctl.Residency;

/// <summary>
/// <c>platformctl residency verify</c>: checks a leak-scan report's Ed25519 signature against the given verifier keys,
/// offline, then prints what it proves: per region, what was found; every leak by region, place, dataset and object.
/// Exit 0: signed and clean; 1: not signed by any given key (or not a report); 4: signed, and data outside its region.
/// </summary>
internal static class ReportVerification
{
    public const string Format = "platform.dev/residency-scan/v1";

    public static async Task<int> RunAsync(FileInfo file, IReadOnlyList<string> keyTexts, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var keys = keyTexts.Select(SignedNote.ParseKey).ToList();
        if (keys.Count == 0 || keys.Any(k => k is null))
        {
            await error.WriteLineAsync("Every --key must be a verifier key: name+hash+base64 (GET /v1/residency/report-keys).");
            return PlatformCli.Usage;
        }

        if (!file.Exists)
        {
            await error.WriteLineAsync($"No such file: {file.FullName}");
            return PlatformCli.Usage;
        }

        var note = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        var lines = SignedNote.Open(note, keys!)?.Text.Split('\n');
        if (lines is not [Format, var body, ""])
        {
            await Say(output, json, new { verified = false, reason = "The report is not signed by any of the given keys, or is not a residency scan report." }, "NOT VERIFIED: the report is not signed by any of the given keys, or is not a residency scan report.");
            return PlatformCli.NotVerified;
        }

        var report = JsonDocument.Parse(body).RootElement;
        var leaks = report.GetProperty("leaks");
        var clean = report.GetProperty("clean").GetBoolean() && leaks.GetArrayLength() == 0;
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { verified = true, clean, report }));
        }
        else
        {
            await output.WriteLineAsync($"Verified: scan {report.GetProperty("scanId").GetString()} of {report.GetProperty("organizationId").GetString()} at {report.GetProperty("scannedAt").GetString()} ({report.GetProperty("mode").GetString()}).");
            foreach (var region in report.GetProperty("regions").EnumerateArray())
            {
                await output.WriteLineAsync($"  {region.GetProperty("region").GetString()}: {region.GetProperty("datasets").GetInt32()} datasets, {region.GetProperty("objects").GetInt32()} objects, {region.GetProperty("blobs").GetInt32()} files ({region.GetProperty("blobBytes").GetInt64():N0} bytes), inventory sha256 {region.GetProperty("inventorySha256").GetString()}");
            }

            foreach (var leak in leaks.EnumerateArray())
            {
                await output.WriteLineAsync($"  LEAK {leak.GetProperty("kind").GetString()} in {leak.GetProperty("region").GetString()} at {leak.GetProperty("location").GetString()}: dataset {Text(leak, "datasetId")}, object {Text(leak, "objectId")}, pinned to {leak.GetProperty("pinnedRegion").GetString()}");
            }

            await output.WriteLineAsync(clean ? "Nothing of the organization is outside its region." : $"{leaks.GetArrayLength()} item(s) outside their region.");
        }

        return clean ? PlatformCli.Ok : PlatformCli.LeaksFound;
    }

    private static string Text(JsonElement element, string name) => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";

    private static Task Say(TextWriter output, bool json, object value, string text) => output.WriteLineAsync(json ? JsonSerializer.Serialize(value) : text);
}
