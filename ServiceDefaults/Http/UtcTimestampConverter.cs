using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.ServiceDefaults.Http;

/// <summary>
/// Timestamps are ISO 8601 in UTC on the way out (<c>2026-11-23T10:00:00.123456Z</c>); on the way in they must say
/// their offset (<c>Z</c> or <c>+02:00</c>): a time without one would be read in the server's zone, a silent guess.
/// </summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value))
        {
            throw new JsonException("Expected an ISO 8601 timestamp such as 2027-01-31T00:00:00Z.");
        }

        var text = reader.GetString()!;
        var time = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        var hasOffset = time > 0 && (text.EndsWith('Z') || text.EndsWith('z') || text.AsSpan(time).IndexOfAny('+', '-') >= 0);
        return hasOffset ? value.ToUniversalTime() : throw new JsonException("A timestamp must end in Z or an offset such as +02:00.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
}
