using System.Net;
using System.Runtime.CompilerServices;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// What the gateway derives from a key's verification on every request — its allowlist as networks, its scopes as the
/// upstream header — worked out once per answer of the keys service (the verifier caches the answer, and with it the
/// lists these are keyed by) instead of once per request.
/// </summary>
internal static class KeyDetails
{
    private static readonly ConditionalWeakTable<IReadOnlyList<string>, IPNetwork[]> networks = new();
    private static readonly ConditionalWeakTable<IReadOnlyList<KeyScope>, string> scopeHeaders = new();

    /// <summary>The allowlist's entries that parse as CIDR blocks; one that does not matches no address.</summary>
    public static IPNetwork[] Networks(IReadOnlyList<string> cidrs) =>
        networks.GetValue(cidrs, static list => list.Select(c => IPNetwork.TryParse(c, out var network) ? network : (IPNetwork?)null).OfType<IPNetwork>().ToArray());

    /// <summary><c>permission:level</c> per scope, separated by spaces.</summary>
    public static string ScopesHeader(IReadOnlyList<KeyScope>? scopes) =>
        scopes is null ? "" : scopeHeaders.GetValue(scopes, static list => string.Join(' ', list.Select(s => $"{s.Permission}:{s.Level}")));
}
