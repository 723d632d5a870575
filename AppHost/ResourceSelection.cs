using Microsoft.Extensions.Configuration;

namespace Platform.AppHost;

/// <summary>
/// Runs part of the platform (<c>--only keys,identity</c>): the named resources and everything they need — parents,
/// references and what they wait for — while the rest of the model is left out. For working on one service, and for
/// tests that need a whole AppHost but not every service in it.
/// </summary>
internal static class ResourceSelection
{
    public const string ConfigurationKey = "Platform:Only";

    /// <summary>Applies <c>--only</c> when it was given; an unknown name stops the AppHost before anything starts.</summary>
    public static void KeepOnlyRequested(this IDistributedApplicationBuilder builder)
    {
        if (builder.Configuration[ConfigurationKey] is not { Length: > 0 } names) return;
        KeepOnly(builder.Resources, names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    public static void KeepOnly(IResourceCollection resources, IEnumerable<string> names)
    {
        var keep = new HashSet<IResource>();
        var pending = new Stack<IResource>(names.Select(name =>
            resources.FirstOrDefault(r => r.Name == name)
            ?? throw new DistributedApplicationException($"--only: there is no resource named '{name}' (see the dashboard or aspire-manifest.json for the names).")));
        while (pending.TryPop(out var resource))
        {
            if (!keep.Add(resource)) continue;
            if (resource is IResourceWithParent child) pending.Push(child.Parent);
            foreach (var wait in resource.Annotations.OfType<WaitAnnotation>()) pending.Push(wait.Resource);
            foreach (var relation in resource.Annotations.OfType<ResourceRelationshipAnnotation>()) pending.Push(relation.Resource);
        }

        foreach (var resource in resources.Where(r => r is not ParameterResource && !keep.Contains(r)).ToList())
        {
            resources.Remove(resource);
        }
    }
}
