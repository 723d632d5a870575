using System.Net;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>Bytes altered on disk never come back as data: a problem before the body starts, an aborted transfer after.</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class TamperingTests(StorageServiceFixture fixture)
{
    private const int Segment = 64 * 1024;
    private const int Sealed = Segment + 16;
    private const int Header = 48;

    [Fact]
    public async Task A_flipped_bit_in_the_first_segment_gives_a_problem_and_no_bytes()
    {
        var (client, path, blob, _) = await StoreAsync(3 * Segment);
        await FlipAsync(blob, Header + 100);

        var problem = await (await client.GetAsync(path)).ProblemAsync(HttpStatusCode.InternalServerError);
        Assert.Equal("https://platform.dev/problems/object-integrity-failure", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_flipped_bit_in_a_later_segment_aborts_the_transfer_but_ranges_before_it_still_read()
    {
        var (client, path, blob, plaintext) = await StoreAsync(4 * Segment);
        await FlipAsync(blob, Header + (2 * Sealed) + 7);

        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = new MemoryStream();
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.CopyToAsync(received));
        // What did arrive before the abort is exactly the verified prefix: no byte of the altered segment.
        Assert.True(received.Length <= 2 * Segment, $"{received.Length} bytes arrived");
        Assert.Equal(plaintext.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());

        using var range = new HttpRequestMessage(HttpMethod.Get, path);
        range.Headers.TryAddWithoutValidation("Range", $"bytes=0-{(2 * Segment) - 1}");
        Assert.Equal(plaintext[..(2 * Segment)], await (await client.SendAsync(range)).Content.ReadAsByteArrayAsync());

        using var bad = new HttpRequestMessage(HttpMethod.Get, path);
        bad.Headers.TryAddWithoutValidation("Range", $"bytes={2 * Segment}-{(2 * Segment) + 10}");
        await (await client.SendAsync(bad)).ProblemAsync(HttpStatusCode.InternalServerError);
    }

    [Fact]
    public async Task Swapped_segments_truncation_and_header_edits_are_detected()
    {
        var (client, path, blob, _) = await StoreAsync(3 * Segment);
        var original = await File.ReadAllBytesAsync(blob);

        var swapped = original.ToArray();
        original.AsSpan(Header, Sealed).CopyTo(swapped.AsSpan(Header + Sealed));
        original.AsSpan(Header + Sealed, Sealed).CopyTo(swapped.AsSpan(Header));
        await File.WriteAllBytesAsync(blob, swapped);
        await (await client.GetAsync(path)).ProblemAsync(HttpStatusCode.InternalServerError);

        await File.WriteAllBytesAsync(blob, original[..(Header + (2 * Sealed))]);
        await (await client.GetAsync(path)).ProblemAsync(HttpStatusCode.InternalServerError);

        var header = original.ToArray();
        header[20] ^= 0x80;
        await File.WriteAllBytesAsync(blob, header);
        await (await client.GetAsync(path)).ProblemAsync(HttpStatusCode.InternalServerError);

        await File.WriteAllBytesAsync(blob, original);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Another_organizations_ciphertext_put_in_place_is_detected()
    {
        var (client, path, blob, _) = await StoreAsync(Segment + 10);
        var (_, _, foreignBlob, _) = await StoreAsync(Segment + 10);
        File.Copy(foreignBlob, blob, overwrite: true);

        await (await client.GetAsync(path)).ProblemAsync(HttpStatusCode.InternalServerError);
    }

    private async Task<(HttpClient Client, string Path, string Blob, byte[] Plaintext)> StoreAsync(int length)
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var plaintext = PatternStream.Bytes(length, 99);
        await (await client.PutObjectAsync(organization, dataset, "o.bin", plaintext)).JsonAsync(HttpStatusCode.Created);
        return (client, StorageApi.ObjectPath(organization, dataset, "o.bin"), Assert.Single(Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization, dataset))), plaintext);
    }

    private static async Task FlipAsync(string path, long offset)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var value = (byte)file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0x01));
    }
}
