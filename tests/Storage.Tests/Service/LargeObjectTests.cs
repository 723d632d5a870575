using System.Diagnostics;
using System.Net;
using Platform.Storage.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Platform.Storage.Tests.Service;

/// <summary>A multi-gigabyte object streams through in bounded memory, both ways (SPEC ENC-BLOB).</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class LargeObjectTests(StorageServiceFixture fixture, ITestOutputHelper output)
{
    private const long Size = 2L * 1024 * 1024 * 1024;
    private const long MaxGrowth = 200L * 1024 * 1024;

    [Fact]
    public async Task Two_GiB_round_trip_streams_in_bounded_memory()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization, service: fixture.Kestrel);
        var dataset = await client.CreateDatasetAsync(organization);
        GC.Collect();
        var baseline = PeakMemory.CurrentBytes();
        PeakMemory.Reset();
        var clock = Stopwatch.StartNew();

        // Real Kestrel on loopback. The client and the service share this process, so the peak covers both ends; the
        // 2 GiB are generated as they are sent and compared as they arrive.
        await (await client.PutObjectAsync(organization, dataset, "weights/huge.bin", new PatternStream(Size, 2026), Size, "model_weights")).JsonAsync(HttpStatusCode.Created);
        var uploaded = clock.Elapsed;
        var uploadPeak = PeakMemory.PeakBytes();

        var response = await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "weights/huge.bin"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Size, response.Content.Headers.ContentLength);
        await using (var body = await response.Content.ReadAsStreamAsync())
        {
            var expected = new PatternStream(Size, 2026);
            var received = new byte[1024 * 1024];
            var reference = new byte[received.Length];
            long total = 0;
            int read;
            while ((read = await body.ReadAtLeastAsync(received, received.Length, throwOnEndOfStream: false)) > 0)
            {
                expected.ReadExactly(reference.AsSpan(0, read));
                Assert.True(received.AsSpan(0, read).SequenceEqual(reference.AsSpan(0, read)), $"Bytes differ after offset {total}.");
                total += read;
            }

            Assert.Equal(Size, total);
        }

        var peak = PeakMemory.PeakBytes();
        output.WriteLine($"upload {uploaded.TotalSeconds:F1} s, download {(clock.Elapsed - uploaded).TotalSeconds:F1} s; RSS before {baseline >> 20} MiB, peak after upload {uploadPeak >> 20} MiB, peak {peak >> 20} MiB");
        Assert.True(peak - baseline < MaxGrowth, $"Peak RSS grew by {(peak - baseline) >> 20} MiB for a 2 GiB round trip.");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(StorageApi.ObjectPath(organization, dataset, "weights/huge.bin"))).StatusCode);
    }
}
