using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Platform.Audit.Apis;

namespace Platform.Audit.Tests;

public sealed class AuditQueryTests
{
    private static (AuditQuery? Query, Dictionary<string, string[]> Errors) Parse(params (string Key, string Value)[] parameters) =>
        AuditQuery.Parse(new QueryCollection(parameters.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => new StringValues(g.Select(p => p.Value).ToArray()))));

    [Fact]
    public void No_parameters_mean_the_newest_page_of_the_default_size()
    {
        var (query, errors) = Parse();
        Assert.Empty(errors);
        Assert.Equal(AuditQuery.DefaultLimit, query!.Limit);
    }

    [Fact]
    public void All_filters_are_read()
    {
        var (query, errors) = Parse(("organization", "org_1"), ("actor", "key_1"), ("action", "http.request"), ("target", "/v1/x"),
            ("ip", "2001:db8::1"), ("requestId", "req_1"), ("outcome", "denied"), ("from", "2026-11-01T00:00:00Z"), ("to", "2026-11-02T00:00:00+01:00"), ("limit", "5"));
        Assert.Empty(errors);
        Assert.Equal(new AuditQuery("org_1", "key_1", "http.request", "/v1/x", "2001:db8::1", "req_1", "denied",
            new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 1, 23, 0, 0, TimeSpan.Zero), 5, null), query);
    }

    [Theory]
    [InlineData("limit", "0")]
    [InlineData("limit", "501")]
    [InlineData("limit", "-1")]
    [InlineData("limit", "ten")]
    [InlineData("ip", "300.1.1.1")]
    [InlineData("from", "yesterday")]
    [InlineData("cursor", "not-a-cursor")]
    [InlineData("cursor", "djE6MTI6")]
    [InlineData("actor", "")]
    [InlineData("organizaton", "org_1")]
    public void Malformed_parameters_are_errors_naming_the_parameter(string key, string value)
    {
        var (query, errors) = Parse((key, value));
        Assert.Null(query);
        Assert.Contains(key, errors.Keys);
    }

    [Fact]
    public void Overlong_and_control_character_values_are_refused()
    {
        Assert.Contains("actor", Parse(("actor", new string('a', 257))).Errors.Keys);
        Assert.Contains("actor", Parse(("actor", "a\nb")).Errors.Keys);
    }

    [Fact]
    public void A_repeated_parameter_is_refused()
    {
        Assert.Contains("actor", Parse(("actor", "a"), ("actor", "b")).Errors.Keys);
    }

    [Fact]
    public void From_after_to_is_refused()
    {
        Assert.Contains("from", Parse(("from", "2026-11-02T00:00:00Z"), ("to", "2026-11-01T00:00:00Z")).Errors.Keys);
    }

    [Theory]
    [InlineData("org_1")]
    [InlineData(null)]
    [InlineData("org:with:colons")]
    public void A_cursor_round_trips_with_its_organization(string? organization)
    {
        var cursor = new AuditCursor(organization, new DateTimeOffset(2026, 11, 23, 10, 0, 0, 123, TimeSpan.Zero), 4711);
        Assert.True(AuditCursor.TryParse(cursor.Encode(), out var parsed));
        Assert.Equal(cursor, parsed);
    }

    [Fact]
    public void An_export_takes_a_format_and_no_page_parameters()
    {
        static (AuditQuery? Query, Dictionary<string, string[]> Errors) Export(params (string Key, string Value)[] parameters) =>
            AuditQuery.Parse(new QueryCollection(parameters.ToDictionary(p => p.Key, p => new StringValues(p.Value))), export: true);

        Assert.Equal("ndjson", Export().Query!.Format);
        Assert.Equal("csv", Export(("format", "csv"), ("outcome", "denied")).Query!.Format);
        Assert.Contains("format", Export(("format", "xlsx")).Errors.Keys);
        Assert.Contains("limit", Export(("limit", "5")).Errors.Keys);
        Assert.Contains("cursor", Export(("cursor", "x")).Errors.Keys);
        Assert.Contains("format", Parse(("format", "csv")).Errors.Keys);
    }
}
