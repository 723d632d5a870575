namespace Platform.ServiceDefaults.Postgres.Migrations;

/// <summary>
/// The ordered steps of one component's tables (a service's own, the messaging outbox and inbox, OpenIddict's),
/// versioned on their own in the same <c>schema_history</c> table.
/// </summary>
public sealed class Schema
{
    public Schema(string component, params SchemaStep[] steps)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i].Version != i + 1)
            {
                throw new ArgumentException($"Schema '{component}': step {i + 1} has version {steps[i].Version}; versions run 1, 2, 3… without gaps.", nameof(steps));
            }

            ArgumentException.ThrowIfNullOrWhiteSpace(steps[i].Name);
        }

        Component = component;
        Steps = steps;
    }

    public string Component { get; }

    public IReadOnlyList<SchemaStep> Steps { get; }

    public int LatestVersion => Steps.Count;
}
