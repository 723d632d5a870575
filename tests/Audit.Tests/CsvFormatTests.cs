using System.Buffers;
using System.Text;
using Platform.Audit.Export;

namespace Platform.Audit.Tests;

public sealed class CsvFormatTests
{
    [Theory]
    [InlineData("=1+1", "\"'=1+1\"")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("-1", "\"'-1\"")]
    [InlineData("@A1", "\"'@A1\"")]
    [InlineData("\tx", "\"'\tx\"")]
    [InlineData("\rx", "\"'\rx\"")]
    [InlineData("a=b", "\"a=b\"")]
    [InlineData("say \"hi\", then\r\nleave", "\"say \"\"hi\"\", then\r\nleave\"")]
    [InlineData("", "\"\"")]
    [InlineData("ünïcødé", "\"ünïcødé\"")]
    public void A_value_is_quoted_its_quotes_doubled_and_a_formula_start_guarded(string value, string cell)
    {
        var row = new ExportRow(1, "evt", DateTimeOffset.UnixEpoch, null, "usr_1", "key.created", value, "success", null, null, null, null, null);
        var output = new ArrayBufferWriter<byte>();
        new CsvFormat().WriteRow(output, row);
        var line = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal($"\"aud_1\",\"evt\",\"1970-01-01T00:00:00.000000Z\",,\"usr_1\",\"key.created\",{cell},\"success\",,,,,\r\n", line);
    }
}
