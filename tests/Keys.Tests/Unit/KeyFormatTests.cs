using System.Text;
using Platform.Keys.Model;

namespace Platform.Keys.Tests.Unit;

public sealed class KeyFormatTests
{
    [Theory]
    [InlineData("live", "sk_live_")]
    [InlineData("test", "sk_test_")]
    public void A_generated_key_is_prefix_32_base62_characters_and_a_6_character_checksum(string name, string prefix)
    {
        Assert.True(KeyEnvironments.TryParse(name, out var environment));
        var key = KeyFormat.Generate(environment);

        Assert.Equal(46, key.Length);
        Assert.StartsWith(prefix, key, StringComparison.Ordinal);
        Assert.All(key[8..], c => Assert.Contains(c, KeyFormat.Alphabet));
        Assert.True(KeyFormat.TryParse(key, out var parsed));
        Assert.Equal(environment, parsed.Environment);
        Assert.Equal(key[..12], parsed.DisplayPrefix);
    }

    [Fact]
    public void The_checksum_is_the_crc32_of_prefix_and_body_in_base62()
    {
        var key = KeyFormat.Generate(KeyEnvironment.Live);
        Assert.Equal(ReferenceChecksum(key[..40]), key[40..]);
        // The standard CRC-32 check value: CRC32("123456789") = 0xCBF43926 = "3jZRME" in 6 base62 digits.
        Assert.Equal("3jZRME", KeyFormat.Checksum("123456789"));
        Assert.Equal("2UYg5A", KeyFormat.Checksum("sk_live_" + new string('0', 32)));
    }

    [Fact]
    public void Changing_any_one_character_after_the_prefix_fails_the_checksum()
    {
        var key = KeyFormat.Generate(KeyEnvironment.Test);
        for (var position = 8; position < key.Length; position++)
        {
            var replacement = key[position] == 'a' ? 'b' : 'a';
            var typo = key[..position] + replacement + key[(position + 1)..];
            Assert.False(KeyFormat.TryParse(typo, out _), $"A changed character at {position} was accepted.");
        }
    }

    [Theory]
    [InlineData("sk_prod_")]
    [InlineData("pk_live_")]
    [InlineData("SK_LIVE_")]
    [InlineData("sk-live_")]
    [InlineData("rk_test_")]
    public void A_wrong_prefix_is_refused_even_with_a_matching_checksum(string prefix)
    {
        var body = KeyFormat.Generate(KeyEnvironment.Live)[8..40];
        Assert.False(KeyFormat.TryParse(prefix + body + ReferenceChecksum(prefix + body), out _));
    }

    [Fact]
    public void A_wrong_length_is_refused()
    {
        var key = KeyFormat.Generate(KeyEnvironment.Live);
        Assert.False(KeyFormat.TryParse(key[..^1], out _));
        Assert.False(KeyFormat.TryParse(key + "0", out _));
        Assert.False(KeyFormat.TryParse(" " + key, out _));
        Assert.False(KeyFormat.TryParse(key + "\n", out _));
        Assert.False(KeyFormat.TryParse("", out _));
        Assert.False(KeyFormat.TryParse(null, out _));
    }

    [Theory]
    [InlineData('-')]
    [InlineData('_')]
    [InlineData('+')]
    [InlineData(' ')]
    [InlineData('é')]
    [InlineData('０')]
    public void A_character_outside_base62_is_refused_even_with_a_matching_checksum(char odd)
    {
        var key = KeyFormat.Generate(KeyEnvironment.Live);
        var payload = key[..20] + odd + key[21..40];
        Assert.False(KeyFormat.TryParse(payload + ReferenceChecksum(payload), out _));
    }

    [Fact]
    public void Ten_thousand_keys_are_distinct_and_draw_every_character_evenly()
    {
        var keys = Enumerable.Range(0, 10_000).Select(_ => KeyFormat.Generate(KeyEnvironment.Live)).ToList();
        Assert.Equal(keys.Count, keys.Select(k => k[8..40]).Distinct(StringComparer.Ordinal).Count());
        // No two keys share even a 12-character display prefix's random part often: a collision here would mean
        // far less entropy than 190 bits.
        Assert.Equal(keys.Count, keys.Select(k => k[8..24]).Distinct(StringComparer.Ordinal).Count());

        // Chi-square over 320,000 body characters and 62 symbols (61 degrees of freedom): mean 61, and 130 is
        // beyond p = 1e-7. A biased generator (modulo bias, a missing symbol) lands far above it.
        var counts = new int[62];
        foreach (var key in keys)
        {
            foreach (var c in key.AsSpan(8, 32)) counts[KeyFormat.Alphabet.IndexOf(c, StringComparison.Ordinal)]++;
        }

        var expected = keys.Count * 32 / 62.0;
        var chiSquare = counts.Sum(count => (count - expected) * (count - expected) / expected);
        Assert.True(chiSquare < 130, $"Characters are not uniform: chi-square {chiSquare:F1}.");
    }

    /// <summary>An independent CRC32 (IEEE 802.3, bit by bit) and base62 encoding, as a reviewer would write them.</summary>
    private static string ReferenceChecksum(string text)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }

        ulong value = ~crc;
        var digits = new char[6];
        for (var index = 5; index >= 0; index--)
        {
            digits[index] = KeyFormat.Alphabet[(int)(value % 62)];
            value /= 62;
        }

        return new string(digits);
    }
}
