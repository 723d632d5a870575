using System.Security.Cryptography;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// The HTTP-Redirect binding's query (SAML 2.0 bindings section 3.4.4.1): the deflated message base64'd, RelayState,
/// and, when signed, SigAlg and Signature: RSA-SHA256 over <c>SAMLRequest=…&amp;RelayState=…&amp;SigAlg=…</c> exactly
/// as URL-encoded in the query, which is what the IdP verifies.
/// </summary>
internal static class RedirectQuery
{
    public const string RsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

    /// <param name="key">The SP's signing key (disposed here), or null for an unsigned message.</param>
    public static string Build(string endpoint, string parameter, byte[] deflated, string? relayState, RSA? key)
    {
        var query = $"{parameter}={Uri.EscapeDataString(Convert.ToBase64String(deflated))}";
        if (relayState is not null) query += $"&RelayState={Uri.EscapeDataString(relayState)}";
        if (key is not null)
        {
            using (key)
            {
                query += $"&SigAlg={Uri.EscapeDataString(RsaSha256)}";
                var signature = key.SignData(System.Text.Encoding.ASCII.GetBytes(query), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                query += $"&Signature={Uri.EscapeDataString(Convert.ToBase64String(signature))}";
            }
        }

        return endpoint + (endpoint.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
    }
}
