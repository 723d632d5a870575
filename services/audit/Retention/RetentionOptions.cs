using Microsoft.Extensions.Options;

namespace Platform.Audit.Retention;

/// <summary>
/// <c>Audit:Retention</c>: how long audit entries are kept (README "Retention"). Identity has no plans yet, and the
/// retention service's plans have no API for audit to read: the plan's bounds are these options, and each
/// organization's Owners choose a period within them.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Audit:Retention";

    /// <summary>An organization's period until its Owners choose another; also the period of the log without an organization.</summary>
    public int DefaultDays { get; set; } = 90;

    /// <summary>The shortest period an Owner may choose: the plan's floor.</summary>
    public int MinDays { get; set; } = 90;

    /// <summary>The longest period an Owner may choose: 7 years.</summary>
    public int MaxDays { get; set; } = 7 * 365 + 2;

    /// <summary>How often the pruner looks for whole checkpointed ranges past their period.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        if (options.MinDays < 1) errors.Add($"{RetentionOptions.Section}:MinDays must be at least 1.");
        if (options.MaxDays < options.MinDays) errors.Add($"{RetentionOptions.Section}:MaxDays must be at least MinDays.");
        if (options.DefaultDays < options.MinDays || options.DefaultDays > options.MaxDays) errors.Add($"{RetentionOptions.Section}:DefaultDays must be within MinDays and MaxDays.");
        if (options.PruneInterval < TimeSpan.FromSeconds(1)) errors.Add($"{RetentionOptions.Section}:PruneInterval must be at least 1 s.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
