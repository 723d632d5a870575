using Platform.Messaging.Contracts;
using Platform.Retention.Model;
using Platform.Retention.Policies;

namespace Platform.Retention.Tests.Unit;

public sealed class RetentionRulesTests
{
    [Fact]
    public void Every_class_of_the_shared_list_has_exactly_one_rule_and_storage_owns_the_object_classes()
    {
        Assert.Equal(DataClasses.Names, RetentionRules.All.Select(r => r.DataClass));
        Assert.Equal(["image", "detection_result", "annotation", "artifact", "model_weights", "heatmap"], DataClasses.OwnedBy("storage"));
    }

    [Theory]
    [InlineData("image", "self-service", 0, 0)]
    [InlineData("image", "enterprise", 0, 2555)]
    [InlineData("detection_result", "self-service", 0, 30)]
    [InlineData("audit_log", "enterprise", 90, 2555)]
    [InlineData("heatmap", "enterprise", 0, 2555)]
    public void Bounds_follow_the_plan(string dataClass, string plan, int min, int max) =>
        Assert.Equal(new DayBounds(min, max), RetentionRules.Find(dataClass)!.BoundsFor(plan));

    [Fact]
    public void A_chosen_period_beyond_a_narrowed_plan_applies_at_the_plans_bound()
    {
        var rule = RetentionRules.Find("detection_result")!;
        var stored = new StoredPolicy("org_a", "detection_result", 400, DateTimeOffset.UnixEpoch, "usr_a");
        Assert.Equal(400, EffectivePolicy.Of(rule, Plans.Enterprise, stored).Days);
        Assert.Equal(30, EffectivePolicy.Of(rule, Plans.SelfService, stored).Days);
        Assert.Equal(30, EffectivePolicy.Of(rule, Plans.SelfService, null).Days);
    }

    [Fact]
    public void Options_report_every_error_without_values()
    {
        var result = new RetentionOptionsValidator().Validate(null, new RetentionOptions
        {
            Operators = [new RetentionOperator { Name = "", Token = "short-secret-value", Organizations = [] }],
            StorageToken = "tiny",
        });
        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
        Assert.DoesNotContain(result.Failures!, f => f.Contains("short-secret-value", StringComparison.Ordinal) || f.Contains("tiny", StringComparison.Ordinal));
    }
}
