using Microsoft.Extensions.Options;

namespace Platform.Audit.Siem;

/// <summary><c>Audit:Siem</c> (checked by <see cref="SiemOptionsValidator"/>): how audit entries are delivered to customers' SIEMs (README "SIEM delivery").</summary>
public sealed class SiemOptions
{
    public const string Section = "Audit:Siem";

    /// <summary>How often destinations with undelivered entries are looked at.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries sent in one connection at most.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The wait after the first failure; it doubles after each further one up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Connecting, the TLS handshake, sending a batch and the receiver's close, each at most this long.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether destinations may be on loopback, private, link-local or other non-public addresses. Off by default:
    /// a customer's destination must never reach into the platform's own network (the database, the metadata
    /// service). Development and tests turn it on for a receiver on loopback.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Destinations one organization may have: each costs a connection per batch, so there is a ceiling.</summary>
    public int MaxDestinationsPerOrganization { get; set; } = 10;

    /// <summary>
    /// The secret (at least 32 characters) from which the data key sealing destinations' tokens (Splunk HEC) is
    /// derived (<see cref="TokenSealer"/>); none: HEC destinations are refused.
    /// </summary>
    public string TokenKey { get; set; } = "";

    /// <summary>The HOSTNAME field of every syslog message.</summary>
    public string Hostname { get; set; } = "platform";
}

internal sealed class SiemOptionsValidator : IValidateOptions<SiemOptions>
{
    public ValidateOptionsResult Validate(string? name, SiemOptions options)
    {
        var errors = new List<string>();
        if (options.PollInterval <= TimeSpan.Zero) errors.Add($"{SiemOptions.Section}:PollInterval must be positive.");
        if (options.BatchSize is < 1 or > 10_000) errors.Add($"{SiemOptions.Section}:BatchSize must be 1 to 10000.");
        if (options.FirstBackoff <= TimeSpan.Zero || options.MaxBackoff < options.FirstBackoff)
        {
            errors.Add($"{SiemOptions.Section}:FirstBackoff must be positive and MaxBackoff at least as long.");
        }

        if (options.MaxDestinationsPerOrganization is < 1 or > 100) errors.Add($"{SiemOptions.Section}:MaxDestinationsPerOrganization must be 1 to 100.");
        if (options.SendTimeout <= TimeSpan.Zero) errors.Add($"{SiemOptions.Section}:SendTimeout must be positive.");
        if (options.TokenKey.Length is > 0 and < 32) errors.Add($"{SiemOptions.Section}:TokenKey must have at least 32 characters.");
        if (!SyslogMessage.IsPrintableName(options.Hostname, 255)) errors.Add($"{SiemOptions.Section}:Hostname must be 1 to 255 printable ASCII characters without spaces.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
