using System.Text.RegularExpressions;

namespace Platform.Audit.Tests;

/// <summary>
/// The catalogue of audit actions in services/audit/README.md against the code that emits them: an action listed but
/// emitted nowhere, or emitted but not listed, fails. "Emitted" is read from the sources of the gateway, the services
/// and the shared security layer (where entries are built), not from tests.
/// </summary>
public sealed partial class AuditCatalogueTests
{
    private static readonly string repository = FindRepository();

    [Fact]
    public void Every_catalogued_action_is_emitted_by_the_code()
    {
        var emitted = EmittedActions();
        var missing = Catalogue().Where(action => !emitted.Contains(action)).ToList();
        Assert.True(missing.Count == 0, $"Catalogued in services/audit/README.md but emitted nowhere: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_emitted_action_is_in_the_catalogue()
    {
        var catalogue = Catalogue();
        var unlisted = EmittedActions().Where(action => !catalogue.Contains(action)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unlisted.Count == 0, $"Emitted but not in the catalogue of services/audit/README.md: {string.Join(", ", unlisted)}");
    }

    [Fact]
    public void The_scan_finds_actions_of_every_kind_of_emitter()
    {
        // Guards the scan itself: one action per way of emitting one (a constant of AuditActions, an object
        // initializer, a helper's argument, an operator credential's record, a SecurityAuditEntry).
        Assert.Superset(new HashSet<string> { "identity.member.invited", "http.request", "key.created", "operator.request", "request.refused", "audit.exported", "secret.revealed" }, EmittedActions());
    }

    /// <summary>The first column of the catalogue's table.</summary>
    private static HashSet<string> Catalogue()
    {
        var readme = File.ReadAllText(Path.Combine(repository, "services", "audit", "README.md"));
        var section = readme[readme.IndexOf("## Audit actions", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var actions = CatalogueRow().Matches(section).Select(m => m.Groups["action"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(actions);
        return actions;
    }

    private static HashSet<string> EmittedActions()
    {
        var actions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in new[] { "gateway", "services", "Security" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(repository, root), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains("/obj/", StringComparison.Ordinal) || file.Contains("/bin/", StringComparison.Ordinal)) continue;
                var text = File.ReadAllText(file);
                var patterns = Path.GetFileName(file) == "AuditActions.cs" ? [Constant()] : new[] { Emission() };
                foreach (var pattern in patterns)
                {
                    foreach (Match match in pattern.Matches(text)) actions.Add(match.Groups["action"].Value);
                }
            }
        }

        return actions;
    }

    private static string FindRepository()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Platform.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test's folder.");
    }

    [GeneratedRegex(@"^\| `(?<action>[a-z][a-z_.-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex CatalogueRow();

    [GeneratedRegex(@"const string \w+ = ""(?<action>[a-z][a-z-]*(?:\.[a-z_-]+)+)""")]
    private static partial Regex Constant();

    // Action = "…" (an AuditRecorded), const string …Action = "…", Audit("…", …) (keys' helpers),
    // RecordAsync(credential, "…", …) (operator credentials), and an entry's action after its actor: Actor()!, "…".
    [GeneratedRegex(@"(?:\bAction\s*=\s*|const string \w*Action = |\bAudit\(|RecordAsync\(credential,\s*|Actor\(\)\s*(?:!|\?\?\s*""anonymous"")\s*,\s*)""(?<action>[a-z][a-z-]*(?:\.[a-z_-]+)+)""")]
    private static partial Regex Emission();
}
