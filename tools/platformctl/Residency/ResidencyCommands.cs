using System.CommandLine;
using Platform.Ctl.Audit;

namespace Platform.Ctl.Residency;

/// <summary><c>platformctl residency scan</c> (a signed leak-scan report) and <c>platformctl residency verify</c> (offline).</summary>
internal static class ResidencyCommands
{
    public static Command Create(HttpMessageHandler? handler)
    {
        var residency = new Command("residency", "Where the organization's data is: leak scans across every region.");
        residency.Subcommands.Add(Scan(handler));
        residency.Subcommands.Add(Verify());
        return residency;
    }

    private static Command Scan(HttpMessageHandler? handler)
    {
        var gateway = new Option<string>("--gateway")
        {
            Description = "The platform's gateway (e.g. https://localhost:8443), or with an operator credential the residency service itself.", Required = true,
        };
        gateway.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            {
                result.AddError("--gateway must be an absolute https:// address, e.g. https://localhost:8443.");
            }
        });
        var organization = new Option<string?>("--organization") { Description = "The organization to scan (default: the token's; required with an operator credential)." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where to write the signed report (default: residency-scan.note)." };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = $"A file holding the access token or operator credential (default: the {AuditCommands.TokenVariable} environment variable)." };
        var ca = new Option<FileInfo?>("--ca-certificate") { Description = "A PEM CA certificate to trust for the gateway (a local development certificate)." };
        var command = new Command("scan", "Scan every region's databases and blob roots for the organization's data and download the signed report.")
        {
            gateway, organization, output, tokenFile, ca,
        };
        command.SetAction((parsed, cancellationToken) => ScanDownload.RunAsync(
            new ScanDownload.Request(new Uri(parsed.GetValue(gateway)!), parsed.GetValue(organization), parsed.GetValue(output) ?? new FileInfo("residency-scan.note"),
                parsed.GetValue(tokenFile), parsed.GetValue(ca)),
            handler, parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static Command Verify()
    {
        var report = new Argument<FileInfo>("report") { Description = "A report from 'platformctl residency scan'." };
        var keys = new Option<string[]>("--key") { Description = "A verifier key of the residency service (from GET /v1/residency/report-keys); repeat for rotated keys.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON." };
        var command = new Command("verify", "Verify a report's signature offline and print what it proves; exit 4 when it names data outside its region.")
        {
            report, keys, json,
        };
        command.SetAction((parsed, cancellationToken) => ReportVerification.RunAsync(
            parsed.GetValue(report)!, parsed.GetValue(keys) ?? [], parsed.GetValue(json), parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, cancellationToken));
        return command;
    }
}
