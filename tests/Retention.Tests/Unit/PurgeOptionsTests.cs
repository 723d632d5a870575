using Platform.Retention.Purge;

namespace Platform.Retention.Tests.Unit;

public sealed class PurgeOptionsTests
{
    [Fact]
    public void Every_error_is_reported_at_once_without_the_signing_key()
    {
        var result = new PurgeOptionsValidator().Validate(null, new PurgeOptions
        {
            Interval = TimeSpan.Zero, Classes = ["billing_record", "selfies"], LogInterval = TimeSpan.Zero, BatchSize = 0, MaxInFlight = 0, BusyInterval = TimeSpan.FromHours(1), RetryDelay = TimeSpan.FromDays(1), AlertAfterAttempts = 0, SigningKey = "short-key",
        });
        Assert.True(result.Failed);
        Assert.Equal(10, result.Failures!.Count());
        Assert.DoesNotContain(result.Failures!, f => f.Contains("short-key", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_configured_classes_storages_expiring_classes_and_audits_log_classes_are_purged_and_configured_ones_replace_them()
    {
        Assert.Equal(["image", "detection_result", "heatmap", "request_log", "audit_log"], new PurgeOptions().EffectiveClasses);
        Assert.Equal(["detection_result"], new PurgeOptions { Classes = ["detection_result"] }.EffectiveClasses);
        Assert.True(new PurgeOptionsValidator().Validate(null, new PurgeOptions { SigningKey = new string('k', 44) }).Succeeded);
    }
}
