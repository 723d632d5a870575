using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using OtpNet;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Messaging;
using QRCoder;

namespace Platform.Identity.Mfa;

internal sealed record TotpEnrolment(string ManualKey, string OtpAuthUri, string QrPngDataUri);

internal enum MfaCheck
{
    Passed,
    PassedWithRecoveryCode,
    Failed,

    /// <summary>Too many wrong second factors for the account: locked with a doubling backoff.</summary>
    Locked,

    /// <summary>Too many wrong second factors from the client address.</summary>
    Throttled,
}

internal sealed record MfaResult(MfaCheck Check, TimeSpan? RetryAfter = null);

/// <summary>Why a second factor is checked: to complete a pending sign-in, or to step up a signed-in session.</summary>
internal enum MfaPurpose
{
    SignIn,
    StepUp,
}

/// <summary>
/// TOTP (RFC 6238: SHA-1, 6 digits, 30 s) with a ±1 step window (RFC 6238 section 5.2) and no reuse: the last accepted
/// time step is stored and only a later one is accepted. Ten single-use recovery codes, stored as SHA-256.
/// Secrets are encrypted at rest (<see cref="DataProtector"/>).
/// </summary>
internal sealed partial class TotpService(
    NpgsqlDataSource dataSource,
    DataProtector protector,
    UserStore users,
    Throttle throttle,
    IOutbox outbox,
    TimeProvider clock,
    IOptions<IdentityOptions> options,
    ILogger<TotpService> logger)
{
    public const int RecoveryCodeCount = 10;
    private const string Issuer = "Platform";

    public async Task<TotpEnrolment> BeginEnrolmentAsync(User user, CancellationToken cancellationToken)
    {
        var secret = KeyGeneration.GenerateRandomKey(20);
        await using var command = dataSource.CreateCommand("UPDATE users SET totp_pending_secret = $2 WHERE id = $1");
        command.Parameters.AddWithValue(user.Id);
        command.Parameters.AddWithValue(protector.Protect(secret, Context(user.Id)));
        await command.ExecuteNonQueryAsync(cancellationToken);

        var manualKey = Base32Encoding.ToString(secret).TrimEnd('=');
        var uri = $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(user.Email)}?secret={manualKey}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(5);
        return new TotpEnrolment(manualKey, uri, "data:image/png;base64," + Convert.ToBase64String(png));
    }

    /// <returns>The recovery codes (shown once), or null when the code does not match the pending secret.</returns>
    public async Task<IReadOnlyList<string>?> ConfirmEnrolmentAsync(string userId, string? code, RequestInfo request, CancellationToken cancellationToken)
    {
        if (!IsCodeShaped(code)) return null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        byte[]? pending;
        await using (var select = new NpgsqlCommand("SELECT totp_pending_secret FROM users WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue(userId);
            pending = await select.ExecuteScalarAsync(cancellationToken) as byte[];
        }

        if (pending is null) return null;
        var secret = protector.Unprotect(pending, Context(userId));
        if (!new Totp(secret).VerifyTotp(clock.GetUtcNow().UtcDateTime, code!, out var step, new VerificationWindow(1, 1))) return null;

        var now = clock.GetUtcNow();
        await using (var enable = new NpgsqlCommand(
            "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_enrolled_at = $2, totp_last_step = $3 WHERE id = $1",
            connection, transaction))
        {
            enable.Parameters.AddWithValue(userId);
            enable.Parameters.AddWithValue(now);
            enable.Parameters.AddWithValue(step);
            await enable.ExecuteNonQueryAsync(cancellationToken);
        }

        var codes = await ReplaceRecoveryCodesAsync(transaction, userId, cancellationToken);
        await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.MfaEnrolled, "success", userId,
            details: new Dictionary<string, string> { ["method"] = "totp" }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return codes;
    }

    /// <summary>
    /// Checks a TOTP code or a recovery code. Each attempt is counted before it is checked, per client address and on
    /// the account's own second-factor counter (not the password's: a correct password clears nothing here); a
    /// correct one is given back to the address and clears the account's counter.
    /// </summary>
    public async Task<MfaResult> VerifyAsync(User user, string? code, string? recoveryCode, MfaPurpose purpose, RequestInfo request, CancellationToken cancellationToken)
    {
        if (user.TotpSecret is null) return new MfaResult(MfaCheck.Failed);
        var now = clock.GetUtcNow();
        var (throttled, window) = await throttle.TryAcquireMfaAsync(request.Ip, cancellationToken);
        if (throttled is not null)
        {
            await AuditAsync(request.Audit(now, user.Id, AuditActions.MfaFailed, "failure", user.Id, details: new Dictionary<string, string> { ["reason"] = "throttled" }), cancellationToken);
            return new MfaResult(MfaCheck.Throttled, throttled);
        }

        var (failures, lockedUntil) = await users.ReserveMfaAttemptAsync(user.Id, now, cancellationToken);
        if (failures is null)
        {
            await AuditAsync(request.Audit(now, user.Id, AuditActions.MfaFailed, "failure", user.Id, details: new Dictionary<string, string> { ["reason"] = "locked" }), cancellationToken);
            return new MfaResult(MfaCheck.Locked, lockedUntil - now);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = MfaCheck.Failed;
        if (IsCodeShaped(code))
        {
            var secret = protector.Unprotect(user.TotpSecret, Context(user.Id));
            if (new Totp(secret).VerifyTotp(now.UtcDateTime, code!, out var step, new VerificationWindow(1, 1)))
            {
                // Only a step later than the last one used: a code cannot be replayed, even within its window.
                await using var use = new NpgsqlCommand(
                    "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)", connection, transaction);
                use.Parameters.AddWithValue(user.Id);
                use.Parameters.AddWithValue(step);
                if (await use.ExecuteNonQueryAsync(cancellationToken) == 1) result = MfaCheck.Passed;
            }
        }
        else if (recoveryCode is { Length: > 0 and <= 32 })
        {
            await using var use = new NpgsqlCommand(
                "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL", connection, transaction);
            use.Parameters.AddWithValue(user.Id);
            use.Parameters.AddWithValue(HashRecoveryCode(recoveryCode));
            use.Parameters.AddWithValue(now);
            if (await use.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                result = MfaCheck.PassedWithRecoveryCode;
                await outbox.EnqueueAsync(request.Audit(now, user.Id, AuditActions.RecoveryCodeUsed, "success", user.Id), transaction, cancellationToken);
            }
        }

        var locks = result == MfaCheck.Failed && failures >= options.Value.Lockout.MfaThreshold;
        if (result == MfaCheck.Failed)
        {
            await outbox.EnqueueAsync(request.Audit(now, user.Id, AuditActions.MfaFailed, "failure", user.Id,
                details: new Dictionary<string, string> { ["reason"] = "wrong-code" }), transaction, cancellationToken);
        }

        if (locks)
        {
            LogLocked(logger, user.Id, failures!.Value);
            await outbox.EnqueueAsync(request.Audit(now, user.Id, AuditActions.MfaLocked, "success", user.Id,
                details: new Dictionary<string, string> { ["failures"] = failures.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }), transaction, cancellationToken);
        }

        if (result != MfaCheck.Failed)
        {
            await outbox.EnqueueAsync(request.Audit(now, user.Id, AuditActions.MfaSucceeded, "success", user.Id, details: new Dictionary<string, string>
            {
                ["method"] = result == MfaCheck.Passed ? "totp" : "recovery-code",
                ["purpose"] = purpose == MfaPurpose.StepUp ? "step-up" : "sign-in",
            }), transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (result == MfaCheck.Failed) return locks ? new MfaResult(MfaCheck.Locked, lockedUntil - now) : new MfaResult(MfaCheck.Failed);
        await users.ResetMfaFailuresAsync(user.Id, cancellationToken);
        await throttle.RefundMfaAsync(request.Ip, window, cancellationToken);
        return new MfaResult(result);
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Second factor of {UserId} locked after {Failures} wrong codes")]
    private static partial void LogLocked(ILogger logger, string userId, int failures);

    /// <returns>How many of the account's recovery codes are still unused, or null without an authenticator.</returns>
    public async Task<int?> RecoveryCodesLeftAsync(string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT CASE WHEN u.totp_secret IS NULL THEN NULL ELSE (SELECT count(*)::int FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) END FROM users u WHERE u.id = $1");
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteScalarAsync(cancellationToken) as int?;
    }

    /// <returns>A new set of recovery codes (shown once; every earlier code stops working), or null without an authenticator.</returns>
    public async Task<IReadOnlyList<string>?> RegenerateRecoveryCodesAsync(string userId, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var select = new NpgsqlCommand("SELECT 1 FROM users WHERE id = $1 AND totp_secret IS NOT NULL FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue(userId);
            if (await select.ExecuteScalarAsync(cancellationToken) is null) return null;
        }

        var codes = await ReplaceRecoveryCodesAsync(transaction, userId, cancellationToken);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), userId, AuditActions.RecoveryCodesRegenerated, "success", userId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return codes;
    }

    public async Task<bool> RemoveAsync(string userId, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var remove = new NpgsqlCommand(
            "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL WHERE id = $1 AND totp_secret IS NOT NULL",
            connection, transaction);
        remove.Parameters.AddWithValue(userId);
        if (await remove.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        await using var codes = new NpgsqlCommand("DELETE FROM recovery_codes WHERE user_id = $1", connection, transaction);
        codes.Parameters.AddWithValue(userId);
        await codes.ExecuteNonQueryAsync(cancellationToken);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), userId, AuditActions.MfaRemoved, "success", userId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(NpgsqlTransaction transaction, string userId, CancellationToken cancellationToken)
    {
        await using (var delete = new NpgsqlCommand("DELETE FROM recovery_codes WHERE user_id = $1", transaction.Connection, transaction))
        {
            delete.Parameters.AddWithValue(userId);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var codes = new List<string>();
        for (var index = 0; index < RecoveryCodeCount; index++)
        {
            var raw = Base32Encoding.ToString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant()[..16];
            var code = $"{raw[..8]}-{raw[8..]}";
            codes.Add(code);
            await using var insert = new NpgsqlCommand("INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2)", transaction.Connection, transaction);
            insert.Parameters.AddWithValue(userId);
            insert.Parameters.AddWithValue(HashRecoveryCode(code));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return codes;
    }

    private static byte[] HashRecoveryCode(string code) =>
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal)));

    private static bool IsCodeShaped(string? code) => code is { Length: 6 } && code.All(char.IsAsciiDigit);

    private static string Context(string userId) => "totp:" + userId;

    private async Task AuditAsync(IntegrationEvent audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(audit, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
