using System.Collections.Concurrent;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Platform.Messaging.Serialization;

/// <summary>The wire name (and routing key) of each event type, from its <see cref="IntegrationEventAttribute"/>.</summary>
internal static partial class EventTypeNames
{
    private static readonly ConcurrentDictionary<Type, string> Names = new();
    private static readonly ConcurrentDictionary<Type, bool> Routed = new();

    public static string Of(Type eventType) => Names.GetOrAdd(eventType, static type =>
    {
        var name = type.GetCustomAttribute<IntegrationEventAttribute>()?.TypeName
            ?? throw new InvalidOperationException(
                $"{type.Name} has no [IntegrationEvent(\"...\")] attribute naming its wire type.");
        return IsValid(name)
            ? name
            : throw new InvalidOperationException(
                $"{type.Name}: '{name}' is not a valid event type name (lower-case words separated by '.' or '-', e.g. audit.recorded).");
    });

    /// <summary>Whether an event of this type must reach a queue (<see cref="IntegrationEventAttribute.MustBeRouted"/>).</summary>
    public static bool MustBeRouted(Type eventType) =>
        Routed.GetOrAdd(eventType, static type => type.GetCustomAttribute<IntegrationEventAttribute>()?.MustBeRouted == true);

    /// <summary>Routing-key safe: no AMQP topic wildcards, no spaces, bounded length.</summary>
    public static bool IsValid(string name) => name.Length <= 200 && Pattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]+(?:[.-][a-z0-9]+)*$")]
    private static partial Regex Pattern();
}
