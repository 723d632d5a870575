using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Platform.Security.Authentication;
using Platform.Security.Gateway;

namespace Platform.SecurityConsole.Api;

/// <summary>
/// Who is signed in, as the session's access token says (it came from identity's token endpoint over TLS; every API
/// validates it again): the organization it is for, the role there, how and when the user authenticated.
/// </summary>
internal sealed record UserContext(string AccessToken, string UserId, string? Email, string? OrganizationId, string? Role, IReadOnlyList<string> Amr, DateTimeOffset AuthTime)
{
    /// <summary>
    /// The browser's address, as the gateway signed it on this request (null when not signed): the console forwards it
    /// on its API calls (<see cref="Platform.Security.Gateway.ForwardedClient"/>).
    /// </summary>
    public string? BrowserAddress { get; init; }

    public static readonly string[] Administrators = ["Owner", "Admin"];

    public bool IsAdministrator => Role is "Owner" or "Admin";

    public bool ReadsAudit => Role is "Owner" or "Admin" or "Auditor";

    public static async Task<UserContext?> FromAsync(HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(UserContext), out var cached)) return (UserContext?)cached;
        var token = await http.GetTokenAsync("access_token");
        UserContext? context = null;
        if (token?.Split('.') is [_, var body, _])
        {
            using var json = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(body));
            var root = json.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            IReadOnlyList<string> List(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
                ? [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)]
                : [];
            var authTime = root.TryGetProperty("auth_time", out var at) && at.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.MinValue;
            var email = http.User.FindFirst("email")?.Value;
            context = new UserContext(token, Text("sub") ?? "", email, Text("org_id"), List("roles").FirstOrDefault(), List("amr"), authTime)
            {
                BrowserAddress = http.RequestServices.GetRequiredService<GatewaySignatureVerifier>() is { Enabled: true } verifier && verifier.Verify(http.Request)
                    && http.Request.Headers[ClientAddresses.Header] is [{ } value] && IPAddress.TryParse(value, out var address) ? address.ToString() : null,
            };
        }

        http.Items[typeof(UserContext)] = context;
        return context;
    }
}
