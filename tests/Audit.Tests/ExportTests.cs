using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Audit.Events;
using Platform.Audit.Export;

namespace Platform.Audit.Tests;

/// <summary>Issue 15 item 5: <c>GET /v1/audit/events/export</c>, streamed as NDJSON or spreadsheet-safe CSV.</summary>
[Collection(AuditServiceCollection.Name)]
public sealed class ExportTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    private string OrgA => $"org_a{run}";

    private string OrgB => $"org_b{run}";

    [Fact]
    public async Task Ndjson_export_has_every_entry_of_the_filter_newest_first_across_pages_and_only_the_readers_organization()
    {
        // More than one keyset page, so that the pages' seams are crossed.
        var count = AuditExporter.PageSize + 7;
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var events = Enumerable.Range(0, count).Select(i => Event(OrgA, $"a{i}") with { OccurredAt = start.AddMilliseconds(i) }).ToList();
        await StoreAllAsync(events);
        await StoreAllAsync([Event(OrgB, "b0"), Event(OrgA, "denied") with { Outcome = "denied" }]);

        using var auditor = fixture.UserClient(OrgA, "Auditor");
        using var response = await auditor.GetAsync($"/v1/audit/events/export?format=ndjson&outcome=success&actor=usr_actor_{run}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal($"audit-{OrgA}.ndjson", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));

        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rows = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(events.AsEnumerable().Reverse().Select(e => e.Id), rows.Select(r => r.GetProperty("eventId").GetString()));
        Assert.All(rows, r => Assert.Equal(OrgA, r.GetProperty("organizationId").GetString()));

        // The same fields and values as the list API.
        using var @operator = Operator();
        var listed = (await @operator.GetFromJsonAsync<JsonElement>($"/v1/audit/events?organization={OrgA}&requestId=req_{run}_a5")).GetProperty("items")[0];
        var exported = rows.Single(r => r.GetProperty("requestId").GetString() == $"req_{run}_a5");
        Assert.Equal(Normalize(listed), Normalize(exported));
    }

    [Fact]
    public async Task Csv_export_is_rfc_4180_and_no_cell_can_start_a_formula()
    {
        var hostile = new[] { "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain, with \"quotes\"\r\nand a line" };
        await StoreAllAsync(hostile.Select((value, i) => Event(OrgA, $"h{i}") with { Target = value, OccurredAt = DateTimeOffset.UtcNow.AddSeconds(-100 + i) }).ToList());

        using var owner = fixture.UserClient(OrgA, "Owner");
        using var response = await owner.GetAsync($"/v1/audit/events/export?format=csv&action=key.created");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var text = await response.Content.ReadAsStringAsync();

        var records = ParseCsv(text);
        Assert.Equal(CsvFormat.Header, records[0]);
        var targets = records.Skip(1).Select(r => r[Array.IndexOf(CsvFormat.Header, "target")]).ToList();
        Assert.Equal(hostile.Reverse().Select(v => CsvFormat.NeedsGuard(v) ? "'" + v : v), targets);
        // What a spreadsheet sees: no cell begins with a formula character.
        Assert.All(records.SelectMany(r => r), cell => Assert.False(CsvFormat.NeedsGuard(cell), $"cell starts a formula: {cell}"));
        Assert.All(records.Skip(1), r => Assert.Equal(OrgA, r[Array.IndexOf(CsvFormat.Header, "organizationId")]));
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format=xlsx")]
    [InlineData("format=")]
    [InlineData("format=csv&limit=10")]
    [InlineData("format=csv&cursor=abc")]
    [InlineData("format=csv&colour=blue")]
    [InlineData("format=csv&from=yesterday")]
    public async Task A_bad_export_query_is_a_400_problem(string query)
    {
        using var owner = fixture.UserClient(OrgA, "Owner");
        using var response = await owner.GetAsync($"/v1/audit/events/export?{query}");
        await CustomerAccessTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-query");
    }

    [Fact]
    public async Task Every_export_is_itself_an_audit_entry_of_the_organization_exported()
    {
        await StoreAllAsync([Event(OrgA, "x")]);
        using var owner = fixture.UserClient(OrgA, "Owner", subject: $"usr_{run}");
        using (var response = await owner.GetAsync($"/v1/audit/events/export?format=csv&requestId=req_{run}_x"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var @operator = Operator();
        var entry = (await @operator.GetFromJsonAsync<JsonElement>($"/v1/audit/events?actor=usr_{run}&action=audit.exported")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(OrgA, entry.GetProperty("organizationId").GetString());
        Assert.Equal("succeeded", entry.GetProperty("outcome").GetString());
        Assert.Equal("1", entry.GetProperty("details").GetProperty("rows").GetString());
        Assert.Equal("csv", entry.GetProperty("details").GetProperty("format").GetString());
    }

    [Fact]
    public async Task An_operator_reader_of_one_organization_exports_only_it()
    {
        using var tenant = new HttpClient(fixture.Service.Server.CreateHandler()) { BaseAddress = fixture.Service.Server.BaseAddress };
        tenant.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditServiceFixture.TenantToken);
        using var other = await tenant.GetAsync($"/v1/audit/events/export?organization={OrgB}&format=csv");
        await CustomerAccessTests.AssertProblemAsync(other, HttpStatusCode.Forbidden, "forbidden");
        using var all = await tenant.GetAsync("/v1/audit/events/export?format=csv");
        await CustomerAccessTests.AssertProblemAsync(all, HttpStatusCode.Forbidden, "forbidden");
    }

    /// <summary>A JSON object with its properties in name order, to compare two serializations of one entry.</summary>
    private static string Normalize(JsonElement element) => JsonSerializer.Serialize(
        element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).ToDictionary(p => p.Name, p => p.Name == "occurredAt" ? (object)p.Value.GetDateTimeOffset() : p.Value));

    /// <summary>RFC 4180, read as a spreadsheet would: quoted cells may hold commas, doubled quotes and line breaks.</summary>
    internal static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                cells.Add(cell.ToString());
                cell.Clear();
                records.Add([.. cells]);
                cells.Clear();
                i++;
            }
            else Assert.Fail($"Character {(int)c} outside quotes at {i}: not RFC 4180.");
        }

        Assert.False(quoted, "A quoted cell is not closed.");
        Assert.Empty(cells);
        return records;
    }

    private AuditRecorded Event(string organization, string name) => new()
    {
        OccurredAt = DateTimeOffset.UtcNow,
        OrganizationId = organization,
        Actor = $"usr_actor_{run}",
        Action = "key.created",
        Target = "key_1",
        Outcome = "success",
        Ip = "203.0.113.9",
        RequestId = $"req_{run}_{name}",
        UserAgent = "tests",
        Details = new Dictionary<string, string> { ["status"] = "201" },
    };

    private async Task StoreAllAsync(IReadOnlyList<AuditRecorded> events)
    {
        var dataSource = fixture.Service.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var chunk in events.Chunk(500))
        {
            await fixture.Service.Services.GetRequiredService<Data.AuditStore>().InsertAsync(chunk, connection, null, CancellationToken.None);
        }
    }

    private HttpClient Operator()
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditServiceFixture.OperatorToken);
        return client;
    }
}
