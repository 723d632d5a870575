using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Messaging;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Platform.Identity.Oidc;

/// <summary>
/// A refresh token presented after it was already redeemed makes OpenIddict revoke its authorization and every
/// token issued under it (the family; OAuth 2.0 Security BCP, RFC 9700 section 4.14.2). This records that in the
/// audit trail, in the name of the family's user and organization (<see cref="RememberRefreshTokenOwner"/>).
/// </summary>
internal sealed class AuditTokenReuse(NpgsqlDataSource dataSource, IOutbox outbox, TimeProvider clock, IHttpContextAccessor accessor, Microsoft.Extensions.Options.IOptions<IdentityOptions> options)
    : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            // Singleton: it runs on every token response, and resolving its dependencies per request was measurable.
            .UseSingletonHandler<AuditTokenReuse>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        if (context.Request is not { } request || !request.IsRefreshTokenGrantType()) return;
        if (context.Response.Error != OpenIddictConstants.Errors.InvalidGrant) return;
        if (context.Response.ErrorDescription?.Contains("already been redeemed", StringComparison.OrdinalIgnoreCase) != true) return;
        var http = accessor.HttpContext;
        var info = http is null ? new RequestInfo("unknown", "", null) : RequestInfo.From(http, options.Value.TrustedProxies);
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(context.CancellationToken);
        var owner = RememberRefreshTokenOwner.Of(context.Transaction);
        var details = new Dictionary<string, string> { ["reason"] = "refresh-token-reuse" };
        if (request.ClientId is { } clientId) details["client_id"] = clientId;
        await outbox.EnqueueAsync(info.Audit(clock.GetUtcNow(), owner?.UserId ?? request.ClientId ?? "unknown-client", AuditActions.TokenFamilyRevoked, "success",
            request.ClientId, owner?.OrganizationId, details), transaction, context.CancellationToken);
        await transaction.CommitAsync(context.CancellationToken);
    }
}
