using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Retention.Security;

/// <summary>The operators of <c>Retention:Operators</c>: direct calls only, from their networks (default loopback), audited.</summary>
/// <summary>
/// Also the backup operators of <c>Retention:Backups:Operators</c>, with roles of their own: a plan operator reaches no
/// backup, a backup operator no plan, and only a backup operator with <c>Restore</c> restores.
/// </summary>
internal sealed class RetentionCredentials(IOptions<RetentionOptions> options, IOptions<Backups.BackupOptions> backups) : IOperatorCredentialSource
{
    public const string Operator = "retention-operator";
    public const string BackupOperator = "retention-backup-operator";
    public const string BackupRestorer = "retention-backup-restorer";

    public IReadOnlyList<OperatorCredential> Credentials { get; } = options.Value.Operators
        .Select((o, index) => new OperatorCredential(o.Name, Operator, o.Token, o.Organizations, OperatorNetworks.Parse(o.Networks, $"Retention:Operators:{index}", new List<string>())))
        .Concat(backups.Value.Operators.Select((o, index) => new OperatorCredential(o.Name, o.Restore ? BackupRestorer : BackupOperator, o.Token, ["*"],
            OperatorNetworks.Parse(o.Networks, $"Retention:Backups:Operators:{index}", new List<string>()))))
        .ToList();
}
