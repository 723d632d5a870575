using System.Net;
using System.Text;
using Platform.Audit.Model;
using Platform.Audit.Siem;

namespace Platform.Audit.Tests;

/// <summary>RFC 5424 messages in RFC 5425 framing, and which receivers' addresses count as public (pure logic).</summary>
public sealed class SyslogMessageTests
{
    private static AuditEntry Entry(string actor, string outcome = "success", string action = "key.created") =>
        new("aud_1", "evt_1", new DateTimeOffset(2026, 12, 5, 13, 0, 0, 123, TimeSpan.Zero), "org_1", actor, action, "key_9", outcome,
            "198.51.100.20", "req_1", null, "eu", new Dictionary<string, string> { ["scope"] = "keys:full" });

    [Fact]
    public void The_frame_counts_the_messages_bytes_not_its_characters()
    {
        var frame = SyslogMessage.Frame(Entry("usr_ünïcødé"), "platform");
        var space = Array.IndexOf(frame, (byte)' ');
        var length = int.Parse(Encoding.ASCII.GetString(frame, 0, space), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(frame.Length - space - 1, length);
    }

    [Fact]
    public void The_header_and_structured_data_follow_rfc_5424_and_escape_what_would_end_a_value()
    {
        var text = Encoding.UTF8.GetString(SyslogMessage.Format(Entry("key_\"x\"]\\y", outcome: "denied", action: "key used with spaces"), "platform"));
        Assert.StartsWith("<108>1 2026-12-05T13:00:00.123000Z platform platform-audit - keyusedwithspaces [audit@32473 eventId=\"evt_1\" org=\"org_1\" ", text);
        Assert.Contains("actor=\"key_\\\"x\\\"\\]\\\\y\"", text);
        Assert.Contains("] \uFEFF{", text);
        Assert.StartsWith("<109>1 ", Encoding.UTF8.GetString(SyslogMessage.Format(Entry("usr_1"), "platform")));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("172.16.5.4", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd12::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2606:4700::1111", true)]
    public void Only_public_addresses_count_as_public(string address, bool isPublic) =>
        Assert.Equal(isPublic, DestinationAddress.IsPublic(IPAddress.Parse(address)));
}
