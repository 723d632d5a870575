using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults.Health;

/// <summary>
/// Writes <c>{"status":"Healthy","checks":{"self":"Healthy"}}</c>. Descriptions and exceptions are left out on
/// purpose: a driver's error text can carry a host, a user name or worse, and probes only need the verdict.
/// </summary>
internal static class HealthResponseWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";

        await using (var json = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteString(name, entry.Status.ToString());
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
