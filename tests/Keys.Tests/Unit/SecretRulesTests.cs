using Platform.Keys.Model;
using Platform.Keys.Secrets;

namespace Platform.Keys.Tests.Unit;

public sealed class SecretRulesTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("hub-token_2", true)]
    [InlineData("", false)]
    [InlineData("Hub", false)]
    [InlineData("a.b", false)]
    [InlineData("a/b", false)]
    [InlineData("ä", false)]
    public void Names_are_lower_case_letters_digits_dashes_and_underscores(string name, bool valid) =>
        Assert.Equal(valid, SecretRules.IsValidName(name));

    [Fact]
    public void A_name_has_at_most_64_characters()
    {
        Assert.True(SecretRules.IsValidName(new string('a', 64)));
        Assert.False(SecretRules.IsValidName(new string('a', 65)));
    }

    [Fact]
    public void A_value_is_measured_in_UTF8_bytes()
    {
        var errors = new ValidationErrors();
        Assert.Equal(8192, SecretRules.Value(new string('€', 2730) + "ab", errors)!.Length);
        Assert.Null(SecretRules.Value(new string('€', 2731), errors));
        Assert.True(errors.ToDictionary().ContainsKey("value"));
    }

    [Fact]
    public void An_unpaired_surrogate_or_an_empty_value_is_refused_without_echoing_it()
    {
        var errors = new ValidationErrors();
        Assert.Null(SecretRules.Value("abc\ud800", errors));
        Assert.Null(SecretRules.Value("", errors));
        Assert.Equal(2, errors.ToDictionary()["value"].Length);
        Assert.DoesNotContain(errors.ToDictionary()["value"], message => message.Contains("abc", StringComparison.Ordinal));
    }
}
