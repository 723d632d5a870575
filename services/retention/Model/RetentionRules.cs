using Platform.Messaging.Contracts;

namespace Platform.Retention.Model;

/// <summary>
/// Issue 16's table, per data class of the shared closed list (<see cref="DataClasses"/>): the self-service plan keeps
/// the defaults and may only shorten them; the enterprise plan opens 0 … 7 years. Audit logs keep their 90 days at
/// least on every plan (SPEC AUD-RETAIN); datasets, annotations, artifacts and models live while the account is
/// active; billing records for their legal period after closure.
/// </summary>
internal static class RetentionRules
{
    public const int SevenYears = 7 * 365;

    private static readonly Dictionary<string, RetentionRule> rules = new(StringComparer.Ordinal)
    {
        [DataClasses.Image] = Days(DataClasses.Image, 0, minimum: 0),
        [DataClasses.DetectionResult] = Days(DataClasses.DetectionResult, 30, minimum: 0),
        [DataClasses.Heatmap] = Days(DataClasses.Heatmap, 7, minimum: 0),
        [DataClasses.RequestLog] = Days(DataClasses.RequestLog, 30, minimum: 0),
        [DataClasses.AuditLog] = Days(DataClasses.AuditLog, 90, minimum: 90),
        [DataClasses.Annotation] = Fixed(DataClasses.Annotation, RetentionKinds.WhileActive, null),
        [DataClasses.Artifact] = Fixed(DataClasses.Artifact, RetentionKinds.WhileActive, null),
        [DataClasses.ModelWeights] = Fixed(DataClasses.ModelWeights, RetentionKinds.WhileActive, null),
        [DataClasses.BillingRecord] = Fixed(DataClasses.BillingRecord, RetentionKinds.LegalPeriod, SevenYears),
    };

    static RetentionRules()
    {
        // Every class of the shared list has a rule, and no rule names a class outside it.
        var missing = DataClasses.Names.Except(rules.Keys).Concat(rules.Keys.Except(DataClasses.Names)).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"Retention rules and the data class list differ: {string.Join(", ", missing)}.");
    }

    /// <summary>In the order of the shared list.</summary>
    public static IEnumerable<RetentionRule> All => DataClasses.Names.Select(name => rules[name]);

    public static RetentionRule? Find(string? dataClass) => dataClass is not null && rules.TryGetValue(dataClass, out var rule) ? rule : null;

    private static RetentionRule Days(string dataClass, int defaultDays, int minimum) =>
        new(dataClass, Owner(dataClass), RetentionKinds.Days, defaultDays, new DayBounds(minimum, defaultDays), new DayBounds(minimum, SevenYears));

    private static RetentionRule Fixed(string dataClass, string kind, int? days) => new(dataClass, Owner(dataClass), kind, days, null, null);

    private static string Owner(string dataClass) => DataClasses.All.Single(c => c.Name == dataClass).Owner;
}
