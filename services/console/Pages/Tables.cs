using System.Globalization;
using System.Text;
using System.Text.Json;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>A read-only table of an API's items: each column a header and how to show one item's cell (already encoded).</summary>
internal static class Tables
{
    public static string Of(string id, string caption, IEnumerable<JsonElement> items, params (string Header, Func<JsonElement, string> Cell)[] columns)
    {
        var rows = items.ToList();
        if (rows.Count == 0) return $"""<p id="{E(id)}-none">None.</p>""";
        var html = new StringBuilder($"""<div class="table"><table id="{E(id)}"><caption>{E(caption)}</caption><thead><tr>""");
        foreach (var column in columns) html.Append($"<th scope=\"col\">{E(column.Header)}</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var column in columns) html.Append($"<td>{column.Cell(row)}</td>");
            html.Append("</tr>");
        }

        return html.Append("</tbody></table></div>").ToString();
    }

    /// <summary>A string, number or boolean property, encoded; empty when absent.</summary>
    public static Func<JsonElement, string> Value(string name) => item => E(Raw(item, name));

    public static Func<JsonElement, string> Code(string name) => item => Raw(item, name) is { Length: > 0 } v ? $"<code>{E(v)}</code>" : "";

    public static Func<JsonElement, string> At(string name) => item => Raw(item, name) is { Length: > 0 } v && DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, out var at) ? Time(at) : "";

    public static string? Raw(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "yes",
            JsonValueKind.False => "no",
            JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
            _ => null,
        } : null;

    public static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];
}
