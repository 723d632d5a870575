using Platform.Messaging.DeadLettering;

namespace Platform.Messaging.Tests.Unit;

public sealed class ReasonTextTests
{
    [Fact]
    public void Failure_text_becomes_one_bounded_printable_line()
    {
        var text = ReasonText.Describe(new InvalidOperationException("first\r\nsecond\tthird\u0000" + new string('x', 5000)));

        Assert.StartsWith("InvalidOperationException: first second third", text, StringComparison.Ordinal);
        Assert.True(text.Length <= ReasonText.MaxLength, $"{text.Length} characters");
        Assert.DoesNotContain(text, char.IsControl);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_text_is_kept_as_it_is()
    {
        Assert.Equal("handler-failed: TimeoutException: slow", new DeadLetterReason("handler-failed", "TimeoutException: slow").ToString());
    }
}
