using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Platform.Messaging.Serialization;

/// <summary>
/// The wire format: System.Text.Json with web defaults (camelCase). On the way in, <c>id</c> and
/// <c>occurredAt</c> are required of every event: without them the id would be invented on arrival and the inbox
/// could never recognise a redelivery.
/// </summary>
internal static class EventJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    public static byte[] Serialize(IntegrationEvent @event) =>
        JsonSerializer.SerializeToUtf8Bytes(@event, @event.GetType(), Options);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RequireEnvelope } },
        };
        options.MakeReadOnly();
        return options;
    }

    private static void RequireEnvelope(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || !typeof(IntegrationEvent).IsAssignableFrom(typeInfo.Type))
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.Name is "id" or "occurredAt")
            {
                property.IsRequired = true;
            }
        }
    }
}
