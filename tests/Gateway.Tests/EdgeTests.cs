using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Platform.Gateway.Tests.Infrastructure;

namespace Platform.Gateway.Tests;

/// <summary>
/// Two real gateway processes sharing Redis (SPEC GW-IP, GW-RATE, GW-HARDEN): client addresses through a trusted
/// proxy, shared and fallback rate limits, body, header and timing limits.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class EdgeTests(EdgeGateways edge) : IClassFixture<EdgeGateways>
{
    private static int addresses;

    /// <summary>A client address no other test uses, so that each test has buckets of its own.</summary>
    private static IPAddress NewClient() => new([198, 51, 100, (byte)Interlocked.Increment(ref addresses)]);

    [Fact]
    public async Task The_anonymous_limit_holds_across_two_replicas_sharing_Redis()
    {
        var client = NewClient();
        using var first = edge.Client(edge.First);
        using var second = edge.Client(edge.Second);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 30).Select(async n =>
        {
            using var request = EdgeGateways.From(client, HttpMethod.Get, $"/open/{n}");
            using var response = await (n % 2 == 0 ? first : second).SendAsync(request);
            return response.StatusCode;
        }));

        Assert.Equal(EdgeGateways.AnonymousLimit, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(30 - EdgeGateways.AnonymousLimit, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_by_both_replicas_at_once_though_each_answered_it_from_its_cache()
    {
        var client = NewClient();
        var (key, keyId) = edge.Keys.Issue();
        using var first = edge.Client(edge.First);
        using var second = edge.Client(edge.Second);
        foreach (var replica in new[] { first, second }) Assert.Equal(HttpStatusCode.OK, await SendWithKeyAsync(replica, client, key));

        // Revoked at the keys service, but not yet announced: each replica still answers from its cache, asking nobody.
        var verifications = edge.Keys.Verifications;
        edge.Keys.Revoke(key);
        for (var n = 0; n < 5; n++)
        {
            foreach (var replica in new[] { first, second }) Assert.Equal(HttpStatusCode.OK, await SendWithKeyAsync(replica, client, key));
        }

        Assert.Equal(verifications, edge.Keys.Verifications);

        // The keys service announces the revocation on Redis, as it does before answering the revocation.
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(edge.Servers.Redis))
        {
            var subscriber = redis.GetSubscriber();
            var channel = StackExchange.Redis.RedisChannel.Literal(EdgeGateways.KeyInvalidationChannel);
            // Both replicas must be subscribed: after another test's Redis restart each resubscribes by itself, a moment
            // later. An empty key id is ignored by the listeners.
            var subscribed = System.Diagnostics.Stopwatch.StartNew();
            while (await subscriber.PublishAsync(channel, "") < 2)
            {
                Assert.True(subscribed.Elapsed < TimeSpan.FromSeconds(30), "both gateway replicas did not listen for key changes within 30 s");
                await Task.Delay(100);
            }

            var receivers = await subscriber.PublishAsync(channel, keyId);
            Assert.True(receivers >= 2, $"{receivers} gateway replicas listen for key changes");
        }

        var since = System.Diagnostics.Stopwatch.StartNew();
        foreach (var replica in new[] { first, second })
        {
            while (await SendWithKeyAsync(replica, client, key) == HttpStatusCode.OK)
            {
                Assert.True(since.Elapsed < TimeSpan.FromSeconds(1), "a replica still accepted the revoked key a second after it was announced");
            }
        }

        // At once: the first request after the announcement on each replica, but for the time Redis takes to deliver it.
        Assert.True(since.Elapsed < TimeSpan.FromMilliseconds(500), $"the revocation took {since.ElapsedMilliseconds} ms to reach both replicas");
        foreach (var replica in new[] { first, second }) Assert.Equal(HttpStatusCode.Unauthorized, await SendWithKeyAsync(replica, client, key));
    }

    private static async Task<HttpStatusCode> SendWithKeyAsync(HttpClient replica, IPAddress client, string key)
    {
        using var request = EdgeGateways.From(client, HttpMethod.Get, "/open/keyed");
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        using var response = await replica.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Answers_carry_the_rate_limit_fields_and_a_refusal_says_when_to_come_back()
    {
        var client = NewClient();
        using var http = edge.Client(edge.First);

        using var request = EdgeGateways.From(client, HttpMethod.Get, "/open/first");
        using var allowed = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("\"ip\";q=10;w=60", allowed.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Equal("\"ip\";r=9;t=6", allowed.Headers.GetValues("RateLimit").Single());

        for (var n = 0; n < EdgeGateways.AnonymousLimit - 1; n++)
        {
            using var more = EdgeGateways.From(client, HttpMethod.Get, "/open/more");
            using var response = await http.SendAsync(more);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var over = EdgeGateways.From(client, HttpMethod.Get, "/open/over");
        using var refused = await http.SendAsync(over);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 6);
        Assert.StartsWith("\"ip\";r=0;", refused.Headers.GetValues("RateLimit").Single());
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("https://platform.dev/problems/rate-limited", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task With_Redis_stopped_each_replica_limits_locally_and_goes_back_to_Redis_by_itself()
    {
        using var first = edge.Client(edge.First);
        try
        {
            await edge.Servers.StopRedisAsync();

            // Each replica now enforces its share: 10 per minute over 4 replicas is 2 here. Nothing fails with a 5xx.
            var outage = NewClient();
            var during = new List<HttpStatusCode>();
            for (var n = 0; n < 8; n++)
            {
                using var request = EdgeGateways.From(outage, HttpMethod.Get, $"/open/outage/{n}");
                using var response = await first.SendAsync(request);
                during.Add(response.StatusCode);
            }

            Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 2).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 6)), during);
            await edge.First.WaitForOutputAsync("each replica limits on its own", TimeSpan.FromSeconds(5));
        }
        finally
        {
            await edge.Servers.StartRedisAsync();
        }

        // Back on Redis (after its retry interval): the whole limit is available on one replica again.
        var sinceRestart = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var after = NewClient();
            var allowed = 0;
            for (var n = 0; n < EdgeGateways.AnonymousLimit; n++)
            {
                using var request = EdgeGateways.From(after, HttpMethod.Get, $"/open/after/{n}");
                using var response = await first.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK) allowed++;
            }

            if (allowed == EdgeGateways.AnonymousLimit) break;
            Assert.True(sinceRestart.Elapsed < TimeSpan.FromSeconds(30), "the gateway did not go back to Redis within 30 s of its restart");
            await Task.Delay(500);
        }

        await edge.First.WaitForOutputAsync("shared through Redis again", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Refused_credentials_are_counted_per_address_across_replicas_and_then_nothing_is_verified()
    {
        var guesser = NewClient();
        using var first = edge.Client(edge.First);
        using var second = edge.Client(edge.Second);

        for (var n = 0; n < EdgeGateways.AuthenticationFailureLimit; n++)
        {
            using var guess = EdgeGateways.From(guesser, HttpMethod.Get, "/open/guess");
            guess.Headers.TryAddWithoutValidation("X-Api-Key", $"sk_live_guess{n}");
            using var refused = await (n % 2 == 0 ? first : second).SendAsync(guess);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // Past the limit, on either replica, any credential from that address is turned away before verification.
        foreach (var client in new[] { first, second })
        {
            using var another = EdgeGateways.From(guesser, HttpMethod.Get, "/open/guess");
            another.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
            using var throttled = await client.SendAsync(another);
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.NotNull(throttled.Headers.RetryAfter);
            using var problem = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync());
            Assert.Equal("https://platform.dev/problems/too-many-failed-attempts", problem.RootElement.GetProperty("type").GetString());
        }

        // The same address without a credential, and another address with one, are not affected.
        using var anonymous = EdgeGateways.From(guesser, HttpMethod.Get, "/open/anonymous");
        using (var response = await first.SendAsync(anonymous)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var elsewhere = EdgeGateways.From(NewClient(), HttpMethod.Get, "/open/guess");
        elsewhere.Headers.TryAddWithoutValidation("X-Api-Key", "sk_live_guess");
        using (var response = await first.SendAsync(elsewhere)) Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_client_address_comes_from_the_trusted_proxy_and_spoofed_entries_left_of_it_are_ignored()
    {
        using var http = edge.Client(edge.First);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/address");
        // The client wrote 203.0.113.9 itself; the trusted proxy (loopback) appended the address it saw.
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9, 198.51.100.250");
        request.Headers.TryAddWithoutValidation("X-Platform-Client-Address", "192.0.2.1");
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = await UpstreamHeaders(response);
        Assert.Equal("198.51.100.250", headers["x-platform-client-address"]);
    }

    [Fact]
    public async Task Malformed_forwarding_headers_and_absurd_header_counts_get_no_5xx()
    {
        using var http = edge.Client(edge.First);
        foreach (var forwarded in new[] { "garbage", ", ,", "999.1.1.1", "[::1", "1.2.3.4:99999:1", new string('9', 5000) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/open/malformed");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwarded);
            using var response = await http.SendAsync(request);
            Assert.True((int)response.StatusCode < 500, $"X-Forwarded-For '{forwarded[..Math.Min(20, forwarded.Length)]}' gave {(int)response.StatusCode}");
        }

        using var many = new HttpRequestMessage(HttpMethod.Get, "/open/many-headers");
        for (var n = 0; n < 200; n++) many.Headers.TryAddWithoutValidation($"X-Filler-{n}", "x");
        using var tooMany = await http.SendAsync(many);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooMany.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_route_limit_is_refused_with_413_before_it_goes_upstream()
    {
        using var http = edge.Client(edge.First);

        using var small = EdgeGateways.From(NewClient(), HttpMethod.Post, "/upload/small", new ByteArrayContent(new byte[1000]));
        using var accepted = await http.SendAsync(small);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        using (var echoed = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()))
        {
            Assert.Equal(1000, echoed.RootElement.GetProperty("bodyBytes").GetInt64());
        }

        // As a careful client sends a large upload: it waits for "100 Continue", which a refusal never gives.
        using var large = EdgeGateways.From(NewClient(), HttpMethod.Post, "/upload/large", new ByteArrayContent(new byte[2000]));
        large.Headers.ExpectContinue = true;
        using var refused = await http.SendAsync(large);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("https://platform.dev/problems/body-too-large", problem.RootElement.GetProperty("type").GetString());

        // Other routes take the gateway-wide default (64 KiB here).
        using var overDefault = EdgeGateways.From(NewClient(), HttpMethod.Post, "/open/large", new ByteArrayContent(new byte[70_000]));
        overDefault.Headers.ExpectContinue = true;
        using var refusedByDefault = await http.SendAsync(overDefault);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refusedByDefault.StatusCode);
    }

    [Fact]
    public async Task A_chunked_body_that_grows_past_the_limit_is_not_delivered_whole()
    {
        using var http = edge.Client(edge.First);
        using var content = new StreamContent(new MemoryStream(new byte[5000]));
        using var request = EdgeGateways.From(NewClient(), HttpMethod.Post, "/upload/chunked", content);
        request.Headers.TransferEncodingChunked = true;

        HttpResponseMessage? response = null;
        try
        {
            response = await http.SendAsync(request);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.True((int)response.StatusCode is 413 or 400 or 502, $"got {(int)response.StatusCode}");
        }
        catch (HttpRequestException)
        {
            // The gateway may also cut the connection while the body is still being sent.
        }
        finally
        {
            response?.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_dropped()
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(edge.CertificatePath, password: null);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, edge.First.HttpsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == TestCertificates.Sha256(certificate),
        });
        await tls.WriteAsync(Encoding.ASCII.GetBytes("GET /open/slow HTTP/1.1\r\nHost: localhost\r\nX-Slow: "));
        await tls.FlushAsync();

        var started = System.Diagnostics.Stopwatch.StartNew();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var answer = new StringBuilder();
        int read;
        while ((read = await tls.ReadAsync(buffer, timeout.Token)) > 0) answer.Append(Encoding.ASCII.GetString(buffer, 0, read));

        // Kestrel answers 408 and closes once the 2 s header timeout passes (its heartbeat checks every second).
        Assert.InRange(started.Elapsed.TotalSeconds, 1.5, 10);
        Assert.StartsWith("HTTP/1.1 408", answer.ToString());
    }

    [Fact]
    public async Task An_invalid_host_name_is_refused_with_400()
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(edge.CertificatePath, password: null);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, edge.First.HttpsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == TestCertificates.Sha256(certificate),
        });
        await tls.WriteAsync(Encoding.ASCII.GetBytes("GET /open/host HTTP/1.1\r\nHost: bad host/<x>\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(tls);
        var status = await reader.ReadLineAsync();
        Assert.StartsWith("HTTP/1.1 400", status);
    }

    [Fact]
    public async Task Every_answer_carries_the_security_headers()
    {
        using var http = edge.Client(edge.First);
        foreach (var path in new[] { "/open/headers", "/no-such-route" })
        {
            using var request = EdgeGateways.From(NewClient(), HttpMethod.Get, path);
            using var response = await http.SendAsync(request);
            Assert.Equal("max-age=31536000; includeSubDomains", response.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("default-src 'none'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        }
    }

    [Fact]
    public async Task Unknown_paths_and_security_txt_count_against_the_anonymous_limit()
    {
        var client = NewClient();
        using var http = edge.Client(edge.First);
        var statuses = new List<HttpStatusCode>();
        for (var n = 0; n <= EdgeGateways.AnonymousLimit; n++)
        {
            using var request = EdgeGateways.From(client, HttpMethod.Get, n % 2 == 0 ? $"/no-such-route/{n}" : "/.well-known/security.txt");
            using var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses[..^1]);
    }

    [Fact]
    public async Task Requests_with_two_credentials_are_charged_as_refused_ones_and_then_throttled()
    {
        var client = NewClient();
        using var http = edge.Client(edge.First);
        for (var n = 0; n < EdgeGateways.AuthenticationFailureLimit; n++)
        {
            using var request = EdgeGateways.From(client, HttpMethod.Get, "/open/mixed");
            request.Headers.TryAddWithoutValidation("X-Api-Key", "sk_live_0123456789abcdefghijABCDEFGHIJ01234567");
            request.Headers.TryAddWithoutValidation("Authorization", "Basic Y2xpZW50OnNlY3JldA==");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using var another = EdgeGateways.From(client, HttpMethod.Get, "/open/mixed");
        another.Headers.TryAddWithoutValidation("X-Api-Key", "sk_live_0123456789abcdefghijABCDEFGHIJ01234567");
        using var throttled = await http.SendAsync(another);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
    }

    [Theory]
    [InlineData("/open/head", 200)]
    [InlineData("/no-such-route", 404)]
    [InlineData("/.well-known/security.txt", 200)]
    public async Task HEAD_is_answered_over_HTTP_2_and_HTTP_1_1_without_a_body(string path, int status)
    {
        foreach (var version in new[] { "--http2", "--http1.1" })
        {
            // curl, an independent client that checks HTTP/2 framing: a body on a HEAD answer is a protocol error to it.
            var start = new System.Diagnostics.ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-sS", "-k", version, "-I", "-H", $"X-Forwarded-For: {NewClient()}", $"https://localhost:{edge.First.HttpsPort}{path}" })
            {
                start.ArgumentList.Add(argument);
            }

            using var curl = System.Diagnostics.Process.Start(start)!;
            var output = await curl.StandardOutput.ReadToEndAsync() + await curl.StandardError.ReadToEndAsync();
            await curl.WaitForExitAsync();

            Assert.True(curl.ExitCode == 0, $"{version} HEAD {path}: curl exited {curl.ExitCode}: {output}");
            Assert.Matches($"^HTTP/[0-9.]+ {status}", output);
            Assert.DoesNotContain("server:", output, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static async Task<Dictionary<string, string>> UpstreamHeaders(HttpResponseMessage response)
    {
        using var echoed = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return echoed.RootElement.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }
}
