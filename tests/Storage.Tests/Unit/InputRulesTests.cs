using Platform.Storage.Model;
using Platform.Storage.Objects;

namespace Platform.Storage.Tests.Unit;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("a.png")]
    [InlineData("images/2026/11/cat.jpg")]
    [InlineData("résumé.txt")]
    [InlineData("..hidden")]
    public void Ordinary_names_are_accepted(string name) => Assert.Null(ObjectNames.Problem(name));

    [Theory]
    [InlineData("")]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a/./b")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("a\0b")]
    [InlineData("a\\..\\b")]
    [InlineData("line\nbreak")]
    public void Traversal_and_control_characters_are_refused(string name) => Assert.NotNull(ObjectNames.Problem(name));

    [Fact]
    public void Overlong_names_are_refused()
    {
        Assert.NotNull(ObjectNames.Problem(new string('a', 256)));
        Assert.NotNull(ObjectNames.Problem(string.Join('/', Enumerable.Repeat(new string('a', 200), 6))));
        Assert.Null(ObjectNames.Problem(string.Join('/', Enumerable.Repeat(new string('a', 200), 5))));
    }

    [Theory]
    [InlineData(null, 100, "whole", 0, 99)]
    [InlineData("bytes=0-0", 100, "partial", 0, 0)]
    [InlineData("bytes=10-", 100, "partial", 10, 99)]
    [InlineData("bytes=-10", 100, "partial", 90, 99)]
    [InlineData("bytes=-1000", 100, "partial", 0, 99)]
    [InlineData("bytes=50-1000", 100, "partial", 50, 99)]
    [InlineData("bytes=100-", 100, "unsatisfiable", 0, -1)]
    [InlineData("bytes=200-300", 100, "unsatisfiable", 0, -1)]
    [InlineData("bytes=-0", 100, "unsatisfiable", 0, -1)]
    [InlineData("bytes=0-0", 0, "unsatisfiable", 0, -1)]
    [InlineData("bytes=5-1", 100, "whole", 0, 99)]
    [InlineData("bytes=0-1,5-6", 100, "whole", 0, 99)]
    [InlineData("items=0-1", 100, "whole", 0, 99)]
    [InlineData("bytes=x-1", 100, "whole", 0, 99)]
    public void Ranges_follow_RFC_9110(string? header, long size, string kind, long first, long last)
    {
        Assert.Equal(new ByteRange(Enum.Parse<RangeKind>(kind, ignoreCase: true), first, last), ByteRange.Parse(header, size));
    }
}
