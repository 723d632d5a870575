using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Identity.Passwords;
using Platform.Messaging;

namespace Platform.Identity.Accounts;

internal enum SignInStatus
{
    /// <summary>Unknown address, wrong password or locked account: one answer for all three (no enumeration).</summary>
    Failed,
    Throttled,
    EmailNotVerified,
    /// <summary>The address's domain requires single sign-on (and this is no Owner's break-glass sign-in with MFA).</summary>
    SsoRequired,
    Succeeded,
}

internal sealed record SignInResult(SignInStatus Status, User? User = null, TimeSpan? RetryAfter = null, bool HasTotp = false, bool MfaEnrolmentRequired = false);

/// <summary>Password sign-in (ID-USER): per-IP throttle, per-account lockout with backoff, constant work for unknown accounts.</summary>
internal sealed partial class SignInService(
    NpgsqlDataSource dataSource,
    UserStore users,
    PasswordHasher hasher,
    Throttle throttle,
    IOutbox outbox,
    TimeProvider clock,
    IOptions<IdentityOptions> options,
    ILogger<SignInService> logger)
{
    /// <param name="breakGlass">An Owner's sign-in with a password where the domain requires SSO: allowed only to an Owner of the
    /// organization that verified the domain who has TOTP (the second factor is then asked as usual), and audited.</param>
    public async Task<SignInResult> PasswordSignInAsync(string? email, string? password, RequestInfo request, CancellationToken cancellationToken, bool breakGlass = false)
    {
        password ??= "";
        if (password.Length > options.Value.Passwords.MaxLength) password = password[..options.Value.Passwords.MaxLength];
        var valid = EmailAddress.TryNormalize(email, out var normalized);

        // One round trip before the hash (issue 20 item 4): the address's attempt counted, the domain's SSO claim and the
        // account, read together; each is used in the order the checks have always run.
        var (attempt, window) = throttle.Attempt(request.Ip);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(attempt);
        if (valid)
        {
            // SSO-only is a property of the domain, decided before the account is looked at (the same answer whether or not it exists).
            batch.BatchCommands.Add(Sso.SsoStore.VerifiedDomain(normalized[(normalized.LastIndexOf('@') + 1)..]));
            batch.BatchCommands.Add(UserStore.FindByEmail(normalized));
        }

        int attempts;
        Sso.SsoDomain? domain = null;
        User? user = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            attempts = reader.GetInt32(0);
            if (valid)
            {
                await reader.NextResultAsync(cancellationToken);
                domain = (await Sso.SsoStore.ReadDomainsAsync(reader, cancellationToken)).SingleOrDefault();
                await reader.NextResultAsync(cancellationToken);
                user = await UserStore.ReadAsync(reader, cancellationToken);
            }
        }

        if (await throttle.DecideAsync(attempts, window, cancellationToken) is { } retryAfter)
        {
            await AuditAsync(request.Audit(clock.GetUtcNow(), "anonymous", AuditActions.SignInFailed, "failure", details: Reason("throttled")), cancellationToken);
            return new SignInResult(SignInStatus.Throttled, RetryAfter: retryAfter);
        }

        var ssoOnly = domain is { SsoOnly: true } ? domain : null;
        if (ssoOnly is not null && !breakGlass)
        {
            await AuditAsync(request.Audit(clock.GetUtcNow(), "anonymous", AuditActions.SignInFailed, "failure", organizationId: ssoOnly.OrganizationId, details: Reason("sso-required")), cancellationToken);
            return new SignInResult(SignInStatus.SsoRequired);
        }

        if (user is null)
        {
            await hasher.VerifyDummyAsync(password);
            await AuditAsync(request.Audit(clock.GetUtcNow(), "anonymous", AuditActions.SignInFailed, "failure", details: Reason("unknown-account")), cancellationToken);
            return new SignInResult(SignInStatus.Failed);
        }

        var failures = await users.ReserveAttemptAsync(user.Id, clock.GetUtcNow(), cancellationToken);
        if (failures is null)
        {
            await hasher.VerifyDummyAsync(password);
            await AuditAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.SignInFailed, "failure", user.Id, details: Reason("locked")), cancellationToken);
            return new SignInResult(SignInStatus.Failed);
        }

        // Accounts created by single sign-on have no password ('!sso'): the same work, and a wrong password.
        var (ok, needsRehash) = user.PasswordHash.StartsWith('!') ? (await DummyAsync(password), false) : await hasher.VerifyAsync(password, user.PasswordHash);
        if (!ok)
        {
            var events = new List<IntegrationEvent> { request.Audit(clock.GetUtcNow(), user.Id, AuditActions.SignInFailed, "failure", user.Id, details: Reason("wrong-password")) };
            if (failures >= options.Value.Lockout.Threshold)
            {
                LogLocked(logger, user.Id, failures.Value);
                events.Add(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.AccountLocked, "success", user.Id,
                    details: new Dictionary<string, string> { ["failures"] = failures.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            }

            await AuditAsync(events, cancellationToken);
            return new SignInResult(SignInStatus.Failed);
        }

        var organizationRequiresMfa = await users.ResetFailuresAsync(user.Id, needsRehash ? await hasher.HashAsync(password) : null, cancellationToken);
        if (user.EmailVerifiedAt is null)
        {
            await AuditAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.SignInFailed, "failure", user.Id, details: Reason("email-not-verified")), cancellationToken);
            return new SignInResult(SignInStatus.EmailNotVerified, user);
        }

        var hasTotp = user.TotpSecret is not null;
        if (ssoOnly is not null)
        {
            var owner = await IsOwnerAsync(ssoOnly.OrganizationId, user.Id, cancellationToken);
            if (!owner || !hasTotp)
            {
                await AuditAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.SignInFailed, "failure", user.Id, ssoOnly.OrganizationId,
                    Reason(owner ? "break-glass-without-mfa" : "break-glass-not-owner")), cancellationToken);
                return new SignInResult(SignInStatus.SsoRequired);
            }

            await AuditAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.SsoBreakGlass, "success", user.Id, ssoOnly.OrganizationId,
                new Dictionary<string, string> { ["domain"] = ssoOnly.Domain, ["mfa"] = "pending" }), cancellationToken);
        }

        var enrolmentRequired = !hasTotp && organizationRequiresMfa;
        await AuditAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.SignInSucceeded, "success", user.Id,
            details: new Dictionary<string, string> { ["method"] = "pwd", ["mfa"] = hasTotp ? "pending" : "none" }), cancellationToken);
        return new SignInResult(SignInStatus.Succeeded, user, HasTotp: hasTotp, MfaEnrolmentRequired: enrolmentRequired);
    }

    public async Task<bool> OrganizationRequiresMfaAsync(string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 AND o.require_mfa)");
        command.Parameters.AddWithValue(userId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<bool> DummyAsync(string password)
    {
        await hasher.VerifyDummyAsync(password);
        return false;
    }

    private async Task<bool> IsOwnerAsync(string orgId, string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2 AND role = 'Owner')");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static Dictionary<string, string> Reason(string reason) => new() { ["reason"] = reason };

    private Task AuditAsync(IntegrationEvent audit, CancellationToken cancellationToken) => AuditAsync([audit], cancellationToken);

    private async Task AuditAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(events, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Account {UserId} locked after {Failures} failed sign-ins")]
    private static partial void LogLocked(ILogger logger, string userId, int failures);
}
