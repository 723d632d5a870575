using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Platform.Gateway.RequestIds;

namespace Platform.Gateway.Tests;

public sealed class RequestIdTests
{
    [Fact]
    public void A_new_id_is_a_version_7_uuid_of_the_gateway_clock_and_never_repeats()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T01:00:00.123Z", CultureInfo.InvariantCulture));
        var ids = Enumerable.Range(0, 1_000).Select(_ => RequestId.New(time)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids)
        {
            Assert.Matches("^req_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$", id);
            Assert.True(RequestId.IsWellFormed(id));
            Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), long.Parse(id.AsSpan(4, 12), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(string.CompareOrdinal(RequestId.New(time), ids[0]) > 0, "ids are ordered by time");
    }
}
