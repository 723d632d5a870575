using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Platform.Keys.Tests.Infrastructure;

/// <summary>
/// Storage's transit encrypt and decrypt as the keys service sees them over HTTP: real AES-256-GCM under a key per
/// organization, the encryption context in the associated data, and switches for an outage and a crypto-shred. The
/// real storage service is exercised end to end by the integration tests; this one lets a test see what keys sends.
/// </summary>
public sealed class FakeTransit(string token) : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, byte[]> keys = new();
    private readonly ConcurrentQueue<(string Operation, string Organization, Dictionary<string, string> Context, string? Plaintext)> calls = new();

    /// <summary>Every request refused at the connection, as when storage is down.</summary>
    public bool Down { get; set; }

    public IReadOnlyCollection<(string Operation, string Organization, Dictionary<string, string> Context, string? Plaintext)> Calls => calls;

    public void Destroy(string organization) => keys[organization] = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Down) throw new HttpRequestException("Connection refused (fake transit is down).");
        if (request.Headers.Authorization is not { Scheme: "Bearer" } authorization || authorization.Parameter != token)
        {
            return Problem(HttpStatusCode.Unauthorized, "unauthenticated");
        }

        var parts = request.RequestUri!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not ["internal", "v1", "transit", var organization, var operation]) return Problem(HttpStatusCode.NotFound, "not-found");

        var body = await request.Content!.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var context = body.GetProperty("context").Deserialize<Dictionary<string, string>>()!;
        var key = keys.GetOrAdd(organization, _ => RandomNumberGenerator.GetBytes(32));
        if (key.Length == 0) return Problem(HttpStatusCode.Gone, "organization-keys-destroyed");

        var associated = AssociatedData(organization, context);
        if (operation == "encrypt")
        {
            var plaintext = Convert.FromBase64String(body.GetProperty("plaintext").GetString()!);
            calls.Enqueue((operation, organization, context, Encoding.UTF8.GetString(plaintext)));
            var sealedBytes = new byte[12 + plaintext.Length + 16];
            RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, 12));
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(sealedBytes.AsSpan(0, 12), plaintext, sealedBytes.AsSpan(12, plaintext.Length), sealedBytes.AsSpan(12 + plaintext.Length), associated);
            return Json(new { ciphertext = "pvt:v1:" + Base64Url.EncodeToString(sealedBytes), keyVersion = 1 });
        }

        calls.Enqueue((operation, organization, context, null));
        var ciphertext = body.GetProperty("ciphertext").GetString()!;
        var bytes = Base64Url.DecodeFromChars(ciphertext.AsSpan("pvt:v1:".Length));
        var opened = new byte[bytes.Length - 28];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(12, opened.Length), bytes.AsSpan(12 + opened.Length), opened, associated);
        }
        catch (AuthenticationTagMismatchException)
        {
            return Problem(HttpStatusCode.BadRequest, "ciphertext-invalid");
        }

        return Json(new { plaintext = Convert.ToBase64String(opened) });
    }

    private static byte[] AssociatedData(string organization, Dictionary<string, string> context) =>
        JsonSerializer.SerializeToUtf8Bytes(new { organization, context = context.OrderBy(c => c.Key, StringComparer.Ordinal).ToList() });

    private static HttpResponseMessage Json(object body) => new(HttpStatusCode.OK) { Content = JsonContent.Create(body) };

    private static HttpResponseMessage Problem(HttpStatusCode status, string type) =>
        new(status) { Content = JsonContent.Create(new { type = $"https://platform.dev/problems/{type}", status = (int)status }) };
}
