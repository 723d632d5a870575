using System.CommandLine;

namespace Platform.Ctl.Audit;

/// <summary><c>platformctl audit bundle</c> (download) and <c>platformctl audit verify</c> (offline).</summary>
internal static class AuditCommands
{
    public const string TokenVariable = "PLATFORM_TOKEN";

    public static Command Create(HttpMessageHandler? handler)
    {
        var audit = new Command("audit", "The organization's tamper-evident audit log.");
        audit.Subcommands.Add(Bundle(handler));
        audit.Subcommands.Add(Verify());
        return audit;
    }

    private static Command Bundle(HttpMessageHandler? handler)
    {
        var gateway = new Option<string>("--gateway") { Description = "The platform's gateway, e.g. https://localhost:8443.", Required = true };
        gateway.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            {
                result.AddError("--gateway must be an absolute https:// address, e.g. https://localhost:8443.");
            }
        });
        var organization = new Option<string?>("--organization") { Description = "The organization whose log (default: the token's)." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where to write the bundle (default: audit-bundle.ndjson)." };
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = $"A file holding the access token (default: the {TokenVariable} environment variable)." };
        var ca = new Option<FileInfo?>("--ca-certificate") { Description = "A PEM CA certificate to trust for the gateway (a local development certificate)." };
        var command = new Command("bundle", "Download the organization's export bundle (entries, leaf hashes, the latest signed checkpoint) through the gateway.")
        {
            gateway, organization, output, tokenFile, ca,
        };
        command.SetAction((parsed, cancellationToken) => BundleDownload.RunAsync(
            new BundleDownload.Request(new Uri(parsed.GetValue(gateway)!), parsed.GetValue(organization), parsed.GetValue(output) ?? new FileInfo("audit-bundle.ndjson"),
                parsed.GetValue(tokenFile), parsed.GetValue(ca)),
            handler, parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static Command Verify()
    {
        var bundle = new Argument<FileInfo>("bundle") { Description = "A bundle from 'platformctl audit bundle'." };
        var keys = new Option<string[]>("--key") { Description = "A verifier key of the audit service (name+hash+base64, from GET /v1/audit/checkpoint-keys); repeat for rotated keys.", Required = true, AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON." };
        var command = new Command("verify", "Verify a bundle offline against its signed checkpoint and a public key; names the first entry altered, removed, inserted or reordered.")
        {
            bundle, keys, json,
        };
        command.SetAction((parsed, cancellationToken) => BundleVerification.RunAsync(
            parsed.GetValue(bundle)!, parsed.GetValue(keys) ?? [], parsed.GetValue(json), parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, cancellationToken));
        return command;
    }
}
