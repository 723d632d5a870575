using Platform.Identity.Scim;
using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Tests.Scim;

/// <summary>The filter grammar (RFC 7644 section 3.4.2.2) and its SQL: values only ever as parameters.</summary>
public sealed class ScimFilterTests
{
    private static (string Sql, List<object> Parameters) Compile(string filter)
    {
        var parameters = new List<object> { "org" };
        return (new SqlFilterCompiler(ScimSchemas.Users, ScimQueries.User, parameters).Compile(ScimFilterParser.Parse(filter)), parameters);
    }

    [Theory]
    [InlineData("userName eq \"x' OR '1'='1\"", "x' OR '1'='1")]
    [InlineData("displayName co \"a\\\"); DROP TABLE users; --\"", "a\"); DROP TABLE users; --")]
    [InlineData("title sw \"$1\"", "$1")]
    public void Values_never_reach_the_sql_text(string filter, string value)
    {
        var (sql, parameters) = Compile(filter);
        Assert.DoesNotContain(value, sql, StringComparison.Ordinal);
        Assert.DoesNotContain("DROP", sql, StringComparison.Ordinal);
        Assert.Contains(parameters.OfType<string>(), p => p.Contains(value.Replace("%", "\\%", StringComparison.Ordinal), StringComparison.Ordinal) || p == value);
    }

    [Fact]
    public void And_binds_tighter_than_or_and_not_takes_parentheses()
    {
        var filter = ScimFilterParser.Parse("title eq \"a\" or title eq \"b\" and NOT (active eq true)");
        var or = Assert.IsType<Or>(filter);
        Assert.IsType<Comparison>(or.Left);
        var and = Assert.IsType<And>(or.Right);
        Assert.IsType<Not>(and.Right);
    }

    [Fact]
    public void Value_paths_and_schema_qualified_names_parse()
    {
        var path = Assert.IsType<ValuePath>(ScimFilterParser.Parse("emails[type eq \"work\" and value co \"@example.com\"]"));
        Assert.Equal("emails", path.Path.Name);
        var qualified = Assert.IsType<Comparison>(ScimFilterParser.Parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"x\""));
        Assert.Equal("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", qualified.Path.Urn);
        Assert.Equal("department", qualified.Path.Name);
        var (attribute, filter, sub) = ScimFilterParser.ParsePath("members[value eq \"usr_1\"].display");
        Assert.Equal("members", attribute.Name);
        Assert.NotNull(filter);
        Assert.Equal("display", sub);
    }

    [Theory]
    [InlineData("userName eq")]
    [InlineData("userName eq \"a\" or 1 eq 1")]
    [InlineData("(userName eq \"a\"")]
    [InlineData("userName eq \"a\")")]
    [InlineData("userName lk \"a\"")]
    [InlineData("emails[type eq \"work\"")]
    [InlineData("userName eq 'a'")]
    [InlineData("not userName eq \"a\"")]
    public void Malformed_filters_are_invalidFilter(string filter)
    {
        var error = Assert.Throws<ScimError>(() => Compile(filter));
        Assert.Equal("invalidFilter", error.ScimType);
    }

    [Fact]
    public void Deep_nesting_is_refused_before_it_costs_anything()
    {
        var filter = string.Concat(Enumerable.Repeat("(", 100)) + "userName pr" + string.Concat(Enumerable.Repeat(")", 100));
        Assert.Equal("invalidFilter", Assert.Throws<ScimError>(() => ScimFilterParser.Parse(filter)).ScimType);
    }
}
