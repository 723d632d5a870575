using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Platform.Ctl.Audit;

namespace Platform.Ctl.Backup;

/// <summary>
/// <c>platformctl backup create|list|verify|restore</c>: the platform's backups, at the retention service directly (the
/// gateway has no route to them) with a backup operator credential from <c>--token-file</c> or the environment. Restore
/// targets (connection strings with passwords) come from a JSON file, never the command line.
/// </summary>
internal static class BackupCommands
{
    public static Command Create(HttpMessageHandler? handler)
    {
        var backup = new Command("backup", "The platform's encrypted backups: create, list, verify and restore sets (backup operators).");
        backup.Subcommands.Add(Make("create", "Take a backup set of every configured database and blob root now.", handler, null,
            (client, _, _, token) => client.PostAsync("/v1/retention/backups", null, token)));
        backup.Subcommands.Add(Make("list", "List the backup sets, newest first.", handler, null,
            (client, _, _, token) => client.GetAsync("/v1/retention/backups", token)));
        var id = new Argument<string>("id") { Description = "The backup set's id (bk_…)." };
        backup.Subcommands.Add(Make("verify", "Check a set's signature, every file's SHA-256 and every segment's tag, without restoring. Exit 1 when it fails.", handler, id,
            (client, backupId, _, token) => client.PostAsync($"/v1/retention/backups/{Uri.EscapeDataString(backupId!)}/verify", null, token)));
        var targets = new Option<FileInfo>("--targets") { Description = "A JSON file { \"databases\": { name: connection string }, \"blobRoots\": { name: absolute folder } }: fresh, empty targets.", Required = true };
        var restore = Make("restore", "Restore a set into fresh, empty databases and blob roots. Exit 1 when the set fails verification.", handler, id,
            async (client, backupId, parsed, token) =>
            {
                var body = await File.ReadAllTextAsync(parsed.GetValue(targets)!.FullName, token);
                return await client.PostAsync($"/v1/retention/backups/{Uri.EscapeDataString(backupId!)}/restore", new StringContent(body, Encoding.UTF8, "application/json"), token);
            });
        restore.Options.Add(targets);
        backup.Subcommands.Add(restore);
        return backup;
    }

    private static Command Make(string name, string description, HttpMessageHandler? handler, Argument<string>? id,
        Func<HttpClient, string?, ParseResult, CancellationToken, Task<HttpResponseMessage>> send)
    {
        var service = new Option<string>("--service")
        {
            Description = "The retention service's own address (e.g. http://127.0.0.1:<port>; never the gateway).", Required = true,
        };
        service.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                result.AddError("--service must be an absolute http(s):// address of the retention service.");
        });
        var tokenFile = new Option<FileInfo?>("--token-file") { Description = $"A file holding the backup operator credential (default: the {AuditCommands.TokenVariable} environment variable)." };
        var json = new Option<bool>("--json") { Description = "Print the service's answer as JSON." };
        var command = new Command(name, description) { service, tokenFile, json };
        if (id is not null) command.Arguments.Add(id);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var output = parsed.InvocationConfiguration.Output;
            var error = parsed.InvocationConfiguration.Error;
            var token = parsed.GetValue(tokenFile) is { } file ? (await File.ReadAllTextAsync(file.FullName, cancellationToken)).Trim() : Environment.GetEnvironmentVariable(AuditCommands.TokenVariable);
            if (string.IsNullOrEmpty(token))
            {
                await error.WriteLineAsync($"No credential: give --token-file or set {AuditCommands.TokenVariable}.");
                return PlatformCli.Usage;
            }

            using var client = new HttpClient(handler ?? new HttpClientHandler(), disposeHandler: handler is null)
            {
                BaseAddress = new Uri(parsed.GetValue(service)!), Timeout = TimeSpan.FromHours(2),
            };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            try
            {
                using var response = await send(client, id is null ? null : parsed.GetValue(id), parsed, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    await error.WriteLineAsync($"{(int)response.StatusCode}: {Problem(body)}");
                    return response.StatusCode == HttpStatusCode.UnprocessableEntity ? PlatformCli.NotVerified : PlatformCli.Remote;
                }

                await output.WriteLineAsync(parsed.GetValue(json) ? body : Describe(name, body));
                return PlatformCli.Ok;
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException)
            {
                await error.WriteLineAsync($"The retention service could not be reached: {exception.Message}");
                return PlatformCli.Remote;
            }
        });
        return command;
    }

    private static string Problem(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("title", out var ti) ? ti.GetString() : null;
            return $"{detail} ({type})";
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }

    private static string Describe(string command, string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        return command switch
        {
            "create" => $"Created {root.GetProperty("id").GetString()}, expires {root.GetProperty("expiresAt").GetString()}.",
            "verify" => $"{root.GetProperty("id").GetString()} verified: signature, {root.GetProperty("files").GetInt32()} file(s), every segment.",
            "restore" => $"Restored {root.GetProperty("backupId").GetString()}; {root.GetProperty("unrecoverable").GetArrayLength()} object(s) unrecoverable (key destroyed):"
                + string.Concat(root.GetProperty("unrecoverable").EnumerateArray().Select(u => $"\n  {u.GetProperty("objectId").GetString()} ({u.GetProperty("reason").GetString()})")),
            _ => string.Join('\n', root.GetProperty("items").EnumerateArray().Select(i =>
                $"{i.GetProperty("id").GetString()}  expires {(i.GetProperty("expiresAt").ValueKind == JsonValueKind.Null ? "?" : i.GetProperty("expiresAt").GetString())}  {i.GetProperty("bytes").GetInt64()} bytes"
                + (i.GetProperty("problem").ValueKind == JsonValueKind.String ? $"  INVALID: {i.GetProperty("problem").GetString()}" : ""))),
        };
    }
}
