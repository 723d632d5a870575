using System.IO.Compression;
using System.Security.Cryptography;
using System.Xml;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Model;

namespace Platform.Identity.Sso.Saml;

/// <summary>Where a SAML sign-in goes: the IdP's SSO URL with the AuthnRequest, and the browser binding to set as a cookie.</summary>
internal sealed record SamlStart(string RedirectUrl, string BrowserBinding);

/// <summary>
/// The service provider (issue 18 item 4): SP-initiated AuthnRequests by the HTTP-Redirect binding (deflated,
/// base64, with an opaque RelayState; the request's ID stored as outstanding, bound to the browser by a cookie, with
/// an expiry), and the ACS by the HTTP-POST binding: <see cref="SamlResponseValidator"/>, then the request spent
/// once (or, without one, IdP-initiated where the connection allows it), the assertion id accepted once, then the
/// same domain, account and provisioning rules as OpenID Connect (<see cref="SsoFederation.AdmitAsync"/>).
/// </summary>
internal sealed class SamlSignIn(SsoStore connections, SamlStore store, SamlSpKeyStore spKeys, SsoFederation federation, TimeProvider clock, IOptions<IdentityOptions> options)
{
    public const string BrowserCookie = "__Host-platform-saml";

    public async Task<SamlStart> StartAsync(SsoConnection connection, string? returnUrl, CancellationToken cancellationToken)
    {
        var settings = await store.SettingsAsync(connection.Id, cancellationToken) ?? throw new InvalidOperationException("A SAML connection without its settings.");
        var issuer = options.Value.Issuer;
        // Core section 1.3.4: an xs:ID starts with a letter or underscore; 160 random bits.
        var id = "_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        var binding = SsoAdministration.Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await store.SaveRequestAsync(id, connection.Id, SsoStore.Hash(binding), returnUrl, now, now + options.Value.Sso.LoginLifetime, cancellationToken);
        var request = AuthnRequest(id, now, settings.SsoUrl, SamlSettings.AcsUrl(issuer, connection.Id), SamlSettings.SpEntityId(issuer, connection.Id));
        // Bindings section 3.4.4.1: DEFLATE (RFC 1951, no zlib header), then base64, then URL-encoded. RelayState is
        // opaque: the return URL stays here, keyed by the request's ID.
        var relayState = SsoAdministration.Base64Url(RandomNumberGenerator.GetBytes(16));
        var signingKey = settings.WantAuthnRequestsSigned
            ? (await spKeys.KeysAsync(connection.Id, cancellationToken)).First(k => k is { Use: SamlSpKey.Signing, State: SamlSpKey.Current })
            : null;
        return new SamlStart(RedirectQuery.Build(settings.SsoUrl, "SAMLRequest", Deflate(request), relayState, signingKey is null ? null : spKeys.PrivateKey(signingKey)), binding);
    }

    /// <summary>The ACS: nothing is created unless every check passes; each refusal is audited with its reason.</summary>
    public async Task<SsoResult> ConsumeAsync(string connectionId, string? samlResponse, string? browserBinding, RequestInfo request, CancellationToken cancellationToken)
    {
        var connection = Ids.IsWellFormed(connectionId, "sso_") ? await connections.ConnectionByIdAsync(connectionId, cancellationToken) : null;
        var settings = connection is { Protocol: SsoConnection.Saml } ? await store.SettingsAsync(connection.Id, cancellationToken) : null;
        if (connection is null || settings is null) return await federation.RefuseAsync(request, SsoResult.Refused(SamlReasons.UnknownConnection), cancellationToken);
        var org = connection.OrganizationId;
        var issuer = options.Value.Issuer;
        var now = clock.GetUtcNow();
        var skew = options.Value.Sso.ClockSkew;
        var certificates = settings.LoadCertificates();
        // This connection's encryption keys only (current, and next during a rollover): an assertion encrypted to
        // another connection's certificate does not decrypt here.
        var decryptionKeys = (await spKeys.KeysAsync(connection.Id, cancellationToken)).Where(k => k.Use == SamlSpKey.Encryption).Select(spKeys.PrivateKey).ToList();
        (SamlAssertion? Assertion, string? Reason) validated;
        try
        {
            validated = SamlResponseValidator.Validate(samlResponse,
                new SamlExpectations(SamlSettings.SpEntityId(issuer, connection.Id), SamlSettings.AcsUrl(issuer, connection.Id), settings.IdpEntityId, certificates, now, skew,
                    decryptionKeys, settings.WantAssertionsSigned));
        }
        finally
        {
            foreach (var certificate in certificates) certificate.Dispose();
            foreach (var key in decryptionKeys) key.Dispose();
        }

        if (validated.Assertion is not { } assertion) return await federation.RefuseAsync(request, SsoResult.Refused(validated.Reason!, org), cancellationToken, connection.Id);

        string? returnUrl = null;
        if (assertion.InResponseTo is { } requestId)
        {
            var (spent, otherBrowser, url) = await store.SpendRequestAsync(requestId, connection.Id, browserBinding is null ? null : SsoStore.Hash(browserBinding), now, cancellationToken);
            if (!spent)
            {
                return await federation.RefuseAsync(request, SsoResult.Refused(otherBrowser ? SamlReasons.InResponseToOtherBrowser : SamlReasons.InResponseToUnknown, org),
                    cancellationToken, connection.Id);
            }

            returnUrl = url;
        }
        else if (!settings.AllowIdpInitiated)
        {
            // IdP-initiated sign-in cannot be tied to a browser's request (login CSRF): only where the Owner allowed it.
            return await federation.RefuseAsync(request, SsoResult.Refused(SamlReasons.Unsolicited, org), cancellationToken, connection.Id);
        }

        if (!await store.AcceptAssertionAsync(connection.Id, assertion.Id, now, assertion.NotOnOrAfter + skew, cancellationToken))
        {
            return await federation.RefuseAsync(request, SsoResult.Refused(SamlReasons.Replayed, org), cancellationToken, connection.Id);
        }

        return await federation.AdmitAsync(connection, assertion.NameId, assertion.Email, returnUrl, request, cancellationToken, assertion.Values(connection.GroupsClaim));
    }

    private static byte[] AuthnRequest(string id, DateTimeOffset now, string destination, string acsUrl, string spEntityId)
    {
        var document = new XmlDocument();
        var root = document.CreateElement("samlp", "AuthnRequest", SamlXml.Protocol);
        root.SetAttribute("ID", id);
        root.SetAttribute("Version", "2.0");
        root.SetAttribute("IssueInstant", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        root.SetAttribute("Destination", destination);
        root.SetAttribute("AssertionConsumerServiceURL", acsUrl);
        root.SetAttribute("ProtocolBinding", SamlXml.PostBinding);
        document.AppendChild(root);
        var issuerElement = document.CreateElement("saml", "Issuer", SamlXml.Assertion);
        issuerElement.InnerText = spEntityId;
        root.AppendChild(issuerElement);
        var policy = document.CreateElement("samlp", "NameIDPolicy", SamlXml.Protocol);
        policy.SetAttribute("Format", SamlXml.EmailFormat);
        policy.SetAttribute("AllowCreate", "true");
        root.AppendChild(policy);
        return System.Text.Encoding.UTF8.GetBytes(document.OuterXml);
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true)) deflate.Write(data);
        return output.ToArray();
    }
}
