using System.Text.Json;

namespace Platform.Ctl.Audit;

/// <summary><c>platformctl audit verify &lt;bundle&gt; --key &lt;verifier key&gt;</c>: prints the outcome; exit 0 verified, 1 not, 2 bad input.</summary>
internal static class BundleVerification
{
    private static readonly JsonSerializerOptions json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(FileInfo bundle, string[] keyTexts, bool asJson, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var keys = new List<SignedNote.VerifierKey>();
        foreach (var text in keyTexts)
        {
            if (SignedNote.ParseKey(text) is not { } key)
            {
                await error.WriteLineAsync("--key must be an Ed25519 verifier key name+hash+base64, as GET /v1/audit/checkpoint-keys lists them.");
                return PlatformCli.Usage;
            }

            keys.Add(key);
        }

        if (!bundle.Exists)
        {
            await error.WriteLineAsync($"No such file: {bundle.FullName}");
            return PlatformCli.Usage;
        }

        BundleReport report;
        try
        {
            await using var stream = bundle.OpenRead();
            report = await BundleVerifier.VerifyAsync(stream, keys, cancellationToken);
        }
        catch (BundleFormatException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return PlatformCli.Usage;
        }
        catch (VerificationFailedException exception)
        {
            if (asJson) await output.WriteLineAsync(JsonSerializer.Serialize(new { verified = false, firstProblem = new { kind = "signature", detail = exception.Message } }, json));
            else await output.WriteLineAsync($"NOT VERIFIED: {exception.Message}");
            return PlatformCli.NotVerified;
        }

        if (asJson) await output.WriteLineAsync(JsonSerializer.Serialize(report, json));
        else if (report.Verified)
        {
            await output.WriteLineAsync($"Verified: {report.Origin}, tree size {report.TreeSize:N0} signed by {report.KeyName}; {report.Entries:N0} entries checked" +
                (report.Start > 0 ? $" (leaves before {report.Start:N0} were pruned)." : "."));
            if (report.Note is { } note) await output.WriteLineAsync(note);
        }
        else
        {
            var first = report.FirstProblem!;
            var where = first.LeafIndex is { } index ? $" leaf {index}" : "";
            var which = first.EventId is { } eventId ? $" (event {eventId})" : "";
            await output.WriteLineAsync($"NOT VERIFIED: {report.Origin}: first problem: {first.Kind}{where}{which}: {first.Detail}");
            if (report.ProblemCount > 1) await output.WriteLineAsync($"{report.ProblemCount:N0} problems in all.");
        }

        return report.Verified ? PlatformCli.Ok : PlatformCli.NotVerified;
    }
}
