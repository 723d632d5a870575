using Platform.Security.Authentication;
using System.Globalization;
using Npgsql;
using Platform.Keys.Data;
using Platform.Keys.Events;
using Platform.Keys.Lifecycle;
using Platform.Messaging;

namespace Platform.Keys.Secrets;

/// <summary>
/// Stores, deletes and reveals customer secrets (SPEC KEY-SECRETS). The value is sealed by storage's transit API
/// before anything is written, so a storage failure leaves nothing behind; each change or reveal commits with its
/// event and audit entry in one transaction (outbox). Values and ciphertexts are never logged.
/// </summary>
internal sealed partial class SecretManager(
    NpgsqlDataSource dataSource,
    SecretStore store,
    TransitClient transit,
    IOutbox outbox,
    TimeProvider time,
    ILogger<SecretManager> logger)
{
    public const string StoredAction = "secret.stored";
    public const string DeletedAction = "secret.deleted";
    public const string RevealedAction = "secret.revealed";

    public async Task<(Secret Secret, bool Created)> StoreAsync(
        string organizationId, string name, ReadOnlyMemory<byte> value, ChangeContext context, CancellationToken cancellationToken)
    {
        var ciphertext = await transit.EncryptAsync(organizationId, name, value, cancellationToken);

        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await SecretStore.SaveAsync(organizationId, name, ciphertext, now, context.Actor, transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                new SecretStored { Name = name, Version = stored.Version, Actor = context.Actor, OrganizationId = organizationId, OccurredAt = now },
                Audit(StoredAction, stored, context.Actor, context, now),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogStored(logger, organizationId, name, stored.Version, context.Actor);
        return (stored, stored.Version == 1);
    }

    public async Task<Secret?> DeleteAsync(string organizationId, string name, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await SecretStore.DeleteAsync(organizationId, name, transaction, cancellationToken);
        if (deleted is null) return null;

        await outbox.EnqueueAsync(
            [
                new SecretDeleted { Name = name, Version = deleted.Version, Actor = context.Actor, OrganizationId = organizationId, OccurredAt = now },
                Audit(DeletedAction, deleted, context.Actor, context, now),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogDeleted(logger, organizationId, name, deleted.Version, context.Actor);
        return deleted;
    }

    /// <summary>
    /// The secret's value for a consuming service, or null when there is no such secret. The reveal is audited
    /// (committed) before the value is handed out: no value leaves without a record of who took it.
    /// </summary>
    public async Task<(Secret Secret, byte[] Value)?> RevealAsync(string organizationId, string name, ChangeContext context, CancellationToken cancellationToken)
    {
        if (await store.GetSealedAsync(organizationId, name, cancellationToken) is not { } sealedSecret) return null;
        var value = await transit.DecryptAsync(organizationId, name, sealedSecret.Ciphertext, cancellationToken);

        var secret = sealedSecret.Secret;
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(
            [
                new SecretRevealed { Name = name, Version = secret.Version, Consumer = context.Actor, OrganizationId = organizationId, OccurredAt = now },
                Audit(RevealedAction, secret, context.Actor, context, now),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogRevealed(logger, organizationId, name, secret.Version, context.Actor);
        return (secret, value);
    }

    private static AuditRecorded Audit(string action, Secret secret, string actor, ChangeContext context, DateTimeOffset now) => new()
    {
        OccurredAt = now,
        OrganizationId = secret.OrganizationId,
        Actor = actor,
        Action = action,
        Target = secret.Name,
        Outcome = "success",
        Ip = context.Ip,
        RequestId = context.RequestId,
        UserAgent = context.UserAgent,
        Details = new Dictionary<string, string> { ["version"] = secret.Version.ToString(CultureInfo.InvariantCulture) },
    };

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Secret {Name} of {OrganizationId} stored as version {Version} by {Actor}")]
    private static partial void LogStored(ILogger logger, string organizationId, string name, int version, string actor);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "Secret {Name} of {OrganizationId} (version {Version}) deleted by {Actor}")]
    private static partial void LogDeleted(ILogger logger, string organizationId, string name, int version, string actor);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Information, Message = "Secret {Name} of {OrganizationId} (version {Version}) revealed to {Actor}")]
    private static partial void LogRevealed(ILogger logger, string organizationId, string name, int version, string actor);
}
