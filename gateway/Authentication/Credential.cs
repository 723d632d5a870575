namespace Platform.Gateway.Authentication;

/// <summary>What kind of credential a request carries (SPEC GW-AUTH): at most one, or it is refused.</summary>
internal enum CredentialKind
{
    None,

    /// <summary><c>X-Api-Key</c>, or <c>Authorization: Bearer sk_…</c>.</summary>
    ApiKey,

    /// <summary><c>Authorization: Bearer</c> with a JWS (an access token from the identity service).</summary>
    AccessToken,

    /// <summary><c>Authorization: Basic</c>: an OAuth client authenticating at the identity service, which checks it.</summary>
    Basic,

    /// <summary>The identity service's session cookie, which the identity service checks.</summary>
    SessionCookie,

    /// <summary><c>Authorization: Bearer scim_…</c>: an organization's SCIM token, which the identity service checks; only on <c>/scim/v2</c>.</summary>
    ScimToken,

    /// <summary>An <c>Authorization</c> the gateway does not take: another scheme, or a bearer value that is neither a key nor a JWT (an operator token).</summary>
    Unrecognized,

    /// <summary>More than one: two headers, two values, or two kinds together. Refused before anything is verified.</summary>
    Multiple,
}

/// <summary>
/// The request's one credential, read once from its headers before anything is verified (the value stays in the
/// request until authentication takes it out) and kept as a request feature (<see cref="Of"/>).
/// </summary>
internal sealed record Credential(CredentialKind Kind, string? Value)
{
    public static readonly Credential None = new(CredentialKind.None, null);
    public static readonly Credential Multiple = new(CredentialKind.Multiple, null);
    public static readonly Credential Unrecognized = new(CredentialKind.Unrecognized, null);
    public static readonly Credential Basic = new(CredentialKind.Basic, null);
    public static readonly Credential SessionCookie = new(CredentialKind.SessionCookie, null);
    public static readonly Credential ScimToken = new(CredentialKind.ScimToken, null);

    /// <summary>Whether the gateway verifies it itself (a key or an access token), and so charges a refusal to the client address.</summary>
    public bool VerifiedHere => Kind is CredentialKind.ApiKey or CredentialKind.AccessToken;

    /// <summary>The request's credential, read on first use and kept as a request feature.</summary>
    public static Credential Of(HttpContext context, string sessionCookie)
    {
        if (context.Features.Get<Credential>() is { } known) return known;
        var credential = Read(context.Request, sessionCookie);
        context.Features.Set(credential);
        return credential;
    }

    /// <param name="sessionCookie">The name of the identity service's session cookie.</param>
    public static Credential Read(HttpRequest request, string sessionCookie)
    {
        var headers = request.Headers;
        Credential? found = null;
        var count = 0;
        if (headers.TryGetValue("X-Api-Key", out var keys))
        {
            count += Values(keys);
            found = new Credential(CredentialKind.ApiKey, keys.Count == 1 ? keys[0]!.Trim() : null);
        }

        if (headers.TryGetValue("Authorization", out var authorization))
        {
            count += Values(authorization);
            found = authorization.Count == 1 ? OfAuthorization(authorization[0]!) : Multiple;
        }

        // Cookies are parsed only when the request has any: API clients send none.
        if (headers.ContainsKey("Cookie") && request.Cookies.ContainsKey(sessionCookie))
        {
            count++;
            found = SessionCookie;
        }

        return count switch
        {
            0 => None,
            1 => found!,
            _ => Multiple,
        };
    }

    /// <summary>Header values, a comma-separated list counting as several: no key, token or Basic credential contains a comma.</summary>
    private static int Values(Microsoft.Extensions.Primitives.StringValues values)
    {
        var count = 0;
        foreach (var value in values)
        {
            count += 1 + (value?.AsSpan().Count(',') ?? 0);
        }

        return count;
    }

    private static Credential OfAuthorization(string value)
    {
        if (value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return Basic;
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Unrecognized;
        var bearer = value["Bearer ".Length..].Trim();
        if (bearer.StartsWith("sk_", StringComparison.Ordinal)) return new Credential(CredentialKind.ApiKey, bearer);
        if (bearer.StartsWith("scim_", StringComparison.Ordinal)) return ScimToken;
        return LooksLikeJwt(bearer) ? new Credential(CredentialKind.AccessToken, bearer) : Unrecognized;
    }

    /// <summary>The shape of a JWS in compact form: three base64url parts, a JSON header first.</summary>
    private static bool LooksLikeJwt(string value) =>
        value.Length is >= 20 and <= 16_384 && value.StartsWith("eyJ", StringComparison.Ordinal) && value.AsSpan().Count('.') == 2;
}
