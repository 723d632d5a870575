using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Identity.Events;
using Platform.Identity.Mail;
using Platform.Identity.Model;
using Platform.Identity.Passwords;
using Platform.Messaging;

namespace Platform.Identity.Accounts;

/// <summary>
/// Sign-up, email verification and password reset (ID-USER). Answers never tell whether an address has an account:
/// sign-up and reset requests answer alike for known and unknown addresses, and do the same expensive work.
/// </summary>
internal sealed class AccountService(
    NpgsqlDataSource dataSource,
    PasswordHasher hasher,
    PasswordPolicy policy,
    UserStore users,
    AuditTrail audit,
    MailOutbox mail,
    IOutbox outbox,
    TimeProvider clock,
    IOptions<IdentityOptions> options)
{
    public const string VerifyPurpose = "verify-email";
    public const string ResetPurpose = "reset-password";

    /// <returns>Null when accepted (a mail is on its way either way), else the field and why it was refused.</returns>
    public async Task<(string Field, string Reason)?> SignUpAsync(string? email, string? password, RequestInfo request, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalize(email, out var normalized)) return ("email", "This is not a valid email address.");
        if (policy.Check(password, normalized) is { } weak) return ("password", weak);

        var hash = await hasher.HashAsync(password!);
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userId = Ids.NewUser();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO users (id, email, email_normalized, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_normalized) DO NOTHING",
            connection, transaction);
        insert.Parameters.AddWithValue(userId);
        insert.Parameters.AddWithValue(email!.Trim());
        insert.Parameters.AddWithValue(normalized);
        insert.Parameters.AddWithValue(hash);
        insert.Parameters.AddWithValue(now);
        var created = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (created)
        {
            var token = SecretTokens.New();
            await UserStore.InsertTokenAsync(transaction, userId, VerifyPurpose, token, now, options.Value.Tokens.EmailTokenLifetime, cancellationToken);
            await mail.EnqueueAsync(transaction, normalized, "Verify your email address",
                $"""
                Welcome to Platform.

                To verify your email address, open {Link("verify-email")} and enter this code:

                {token}

                The code works once, for {options.Value.Tokens.EmailTokenLifetime.TotalMinutes:0} minutes.
                """, cancellationToken);
            await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.SignedUp, "success", userId), transaction, cancellationToken);
        }
        else
        {
            // The address has an account: tell its owner, not the caller.
            await mail.EnqueueAsync(transaction, normalized, "Someone tried to sign up with your address",
                $"""
                Someone tried to create a Platform account with this address, which already has one.
                If it was you, sign in at {Link("signin")} or reset your password at {Link("password/forgot")}.
                """, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    public async Task<bool> VerifyEmailAsync(string? token, RequestInfo request, CancellationToken cancellationToken)
    {
        if (!SecretTokens.IsWellFormed(token)) return false;
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userId = await UserStore.ConsumeTokenAsync(transaction, VerifyPurpose, token!, now, cancellationToken);
        if (userId is null) return false;
        await using var update = new NpgsqlCommand("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1", connection, transaction);
        update.Parameters.AddWithValue(userId);
        update.Parameters.AddWithValue(now);
        await update.ExecuteNonQueryAsync(cancellationToken);
        await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.EmailVerified, "success", userId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Sends a reset code when the address has an account, else a notice that it has none. Both paths run the same
    /// statements (the token INSERT inserts nothing for an unknown address) and write one mail, so neither the answer
    /// nor its timing tells whether the address has an account.
    /// </summary>
    public async Task RequestPasswordResetAsync(string? email, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalize(email, out var normalized)) return;
        var now = clock.GetUtcNow();
        var token = SecretTokens.New();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var find = new NpgsqlCommand("SELECT id FROM users WHERE email_normalized = $1", connection, transaction);
        find.Parameters.AddWithValue(normalized);
        var userId = await find.ExecuteScalarAsync(cancellationToken) as string;
        await UserStore.InsertTokenAsync(transaction, userId ?? "", ResetPurpose, token, now, options.Value.Tokens.EmailTokenLifetime, cancellationToken);
        var (subject, body) = userId is not null
            ? ("Reset your password",
                $"""
                To choose a new password, open {Link("password/reset")} and enter this code:

                {token}

                The code works once, for {options.Value.Tokens.EmailTokenLifetime.TotalMinutes:0} minutes. If you did not ask for it, ignore this mail.
                """)
            : ("Password reset requested for an address without an account",
                $"""
                Someone asked to reset the password of a Platform account with this address, but it has none.
                If it was you, create an account at {Link("signup")}; otherwise ignore this mail.
                """);
        await mail.EnqueueAsync(transaction, normalized, subject, body, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <returns>Null on success, else why not (a bad or spent code, or a weak password: nothing changed).</returns>
    public async Task<(string Field, string Reason)?> ResetPasswordAsync(string? token, string? password, RequestInfo request, CancellationToken cancellationToken)
    {
        if (!SecretTokens.IsWellFormed(token)) return ("token", "The code is invalid or has expired.");
        if (policy.Check(password, null) is { } weak) return ("password", weak);
        var hash = await hasher.HashAsync(password!);
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userId = await UserStore.ConsumeTokenAsync(transaction, ResetPurpose, token!, now, cancellationToken);
        if (userId is null) return ("token", "The code is invalid or has expired.");
        // Holding the mailbox proves the address too; a reset also lifts a lockout, and moves the session generation
        // on so that every session cookie issued before it stops working.
        await using var update = new NpgsqlCommand(
            """
            UPDATE users SET password_hash = $2, failed_attempts = 0, locked_until = NULL, email_verified_at = COALESCE(email_verified_at, $3),
                session_generation = session_generation + 1
            WHERE id = $1
            """,
            connection, transaction);
        update.Parameters.AddWithValue(userId);
        update.Parameters.AddWithValue(hash);
        update.Parameters.AddWithValue(now);
        await update.ExecuteNonQueryAsync(cancellationToken);
        await using (var sessions = new NpgsqlCommand("DELETE FROM sessions WHERE user_id = $1", connection, transaction))
        {
            sessions.Parameters.AddWithValue(userId);
            await sessions.ExecuteNonQueryAsync(cancellationToken);
        }

        var (authorizations, tokens) = await RevokeTokensAsync(transaction, userId, cancellationToken);
        await outbox.EnqueueAsync(
            [
                request.Audit(now, userId, AuditActions.PasswordReset, "success", userId),
                request.Audit(now, userId, AuditActions.SessionsRevoked, "success", userId, details: new Dictionary<string, string>
                {
                    ["reason"] = "password-reset",
                    ["authorizations"] = authorizations.ToString(CultureInfo.InvariantCulture),
                    ["tokens"] = tokens.ToString(CultureInfo.InvariantCulture),
                }),
            ], transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>
    /// A signed-in person changes their password, proving the current one (issue 19 item 2). A wrong current password
    /// counts toward the account's lockout like a wrong sign-in. The caller ends the person's other sessions.
    /// </summary>
    /// <returns>Null when changed, else the field and why it was refused.</returns>
    public async Task<(string Field, string Reason)?> ChangePasswordAsync(User user, string? current, string? password, RequestInfo request, CancellationToken cancellationToken)
    {
        const string wrong = "The current password is not right. After several wrong tries the account is locked for a while.";
        current ??= "";
        if (current.Length > options.Value.Passwords.MaxLength) current = current[..options.Value.Passwords.MaxLength];
        if (user.PasswordHash.StartsWith('!')) return ("currentPassword", "This account signs in through single sign-on and has no password here.");
        var ok = await users.ReserveAttemptAsync(user.Id, clock.GetUtcNow(), cancellationToken) is not null && (await hasher.VerifyAsync(current, user.PasswordHash)).Ok;
        if (!ok)
        {
            await audit.RecordAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.PasswordChanged, "failure", user.Id,
                details: new Dictionary<string, string> { ["reason"] = "wrong-current-password" }), cancellationToken);
            return ("currentPassword", wrong);
        }

        await users.ResetFailuresAsync(user.Id, null, cancellationToken);
        if (policy.Check(password, user.Email) is { } weak) return ("newPassword", weak);
        if (password == current) return ("newPassword", "Choose a password other than the current one.");
        var hash = await hasher.HashAsync(password!);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = new NpgsqlCommand("UPDATE users SET password_hash = $2 WHERE id = $1", connection, transaction))
        {
            update.Parameters.AddWithValue(user.Id);
            update.Parameters.AddWithValue(hash);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), user.Id, AuditActions.PasswordChanged, "success", user.Id), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>
    /// Revokes every OpenIddict authorization (token family and consent) and every live token of the user, in the
    /// reset's own transaction: a refresh after the reset fails with invalid_grant (RFC 6749 section 5.2), and
    /// access tokens stop introspecting as active. Redeemed tokens keep their status, so reuse is still detected.
    /// </summary>
    private static async Task<(int Authorizations, int Tokens)> RevokeTokensAsync(NpgsqlTransaction transaction, string userId, CancellationToken cancellationToken)
    {
        await using var families = new NpgsqlCommand(
            """UPDATE oidc."OpenIddictAuthorizations" SET "Status" = 'revoked', "ConcurrencyToken" = gen_random_uuid()::text WHERE "Subject" = $1 AND "Status" = 'valid'""",
            transaction.Connection, transaction);
        families.Parameters.AddWithValue(userId);
        var authorizations = await families.ExecuteNonQueryAsync(cancellationToken);
        await using var live = new NpgsqlCommand(
            """UPDATE oidc."OpenIddictTokens" SET "Status" = 'revoked', "ConcurrencyToken" = gen_random_uuid()::text WHERE "Subject" = $1 AND "Status" IN ('valid', 'inactive')""",
            transaction.Connection, transaction);
        live.Parameters.AddWithValue(userId);
        return (authorizations, await live.ExecuteNonQueryAsync(cancellationToken));
    }

    private string Link(string path) => new Uri(new Uri(options.Value.Issuer), path).ToString();
}
