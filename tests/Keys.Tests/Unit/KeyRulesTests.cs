using Platform.Keys.Model;

namespace Platform.Keys.Tests.Unit;

public sealed class KeyRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("203.0.113.7", "203.0.113.7/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:DB8:0::/48", "2001:db8::/48")]
    [InlineData("::1", "::1/128")]
    [InlineData("::/0", "::/0")]
    public void Addresses_and_ranges_are_accepted_in_canonical_form(string given, string canonical)
    {
        var errors = new ValidationErrors();
        Assert.Equal([canonical], KeyRules.Cidrs([given], errors)!);
        Assert.False(errors.Any);
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.1")]
    [InlineData("167772161")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/08x")]
    [InlineData("fe80::1%eth0")]
    [InlineData("not-an-address")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_but_an_address_or_range_without_host_bits_is_refused(string? given)
    {
        var errors = new ValidationErrors();
        Assert.Null(KeyRules.Cidrs([given], errors));
        Assert.Contains("allowedCidrs[0]", errors.ToDictionary().Keys);
    }

    [Fact]
    public void At_most_fifty_ranges_are_allowed()
    {
        var fifty = Enumerable.Range(0, 50).Select(i => $"10.0.{i}.0/24").ToList<string?>();
        Assert.Equal(50, KeyRules.Cidrs(fifty, new ValidationErrors())!.Count);

        var errors = new ValidationErrors();
        Assert.Null(KeyRules.Cidrs([.. fifty, "10.1.0.0/24"], errors));
        Assert.Contains("allowedCidrs", errors.ToDictionary().Keys);
    }

    [Fact]
    public void Organization_allowlists_take_up_to_a_hundred_ranges_and_drop_duplicates()
    {
        var hundred = Enumerable.Range(0, 100).Select(i => $"10.{i}.0.0/16").ToList<string?>();
        Assert.Equal(100, KeyRules.Cidrs(hundred, new ValidationErrors(), maxEntries: KeyRules.MaxOrganizationCidrs)!.Count);

        var errors = new ValidationErrors();
        Assert.Null(KeyRules.Cidrs([.. hundred, "10.200.0.0/16"], errors, maxEntries: KeyRules.MaxOrganizationCidrs));
        Assert.Contains("allowedCidrs", errors.ToDictionary().Keys);

        Assert.Equal(["2001:db8::/32", "192.0.2.1/32"],
            KeyRules.Cidrs(["2001:DB8::/32", "192.0.2.1", "2001:db8::/32", "192.0.2.1/32"], new ValidationErrors(), maxEntries: KeyRules.MaxOrganizationCidrs)!);
    }

    [Fact]
    public void Every_permission_at_every_level_is_a_scope()
    {
        foreach (var permission in Scopes.Permissions)
        {
            foreach (var level in Scopes.Levels)
            {
                var errors = new ValidationErrors();
                Assert.NotNull(KeyRules.Scopes([new KeyScope(permission, level)], errors));
                Assert.False(errors.Any);
            }
        }
    }

    [Theory]
    [InlineData("datasets", "full", "scopes[0].permission")]
    [InlineData("dataset", "read-only", "scopes[0].level")]
    [InlineData("Dataset", "full", "scopes[0].permission")]
    [InlineData("dataset", "admin", "scopes[0].level")]
    public void Unknown_permissions_and_levels_are_refused(string permission, string level, string field)
    {
        var errors = new ValidationErrors();
        Assert.Null(KeyRules.Scopes([new KeyScope(permission, level)], errors));
        Assert.Contains(field, errors.ToDictionary().Keys);
    }

    [Fact]
    public void Scopes_are_required_and_each_permission_appears_once()
    {
        Assert.Null(KeyRules.Scopes([], new ValidationErrors()));
        Assert.Null(KeyRules.Scopes(null, new ValidationErrors()));
        var errors = new ValidationErrors();
        Assert.Null(KeyRules.Scopes([new KeyScope("dataset", "full"), new KeyScope("dataset", "read_only")], errors));
        Assert.Contains("scopes[1].permission", errors.ToDictionary().Keys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0")]
    [InlineData("\u202Egnp.exe")]
    [InlineData(null)]
    public void Empty_blank_and_control_character_names_are_refused(string? name)
    {
        Assert.Null(KeyRules.Name(name, new ValidationErrors()));
    }

    [Fact]
    public void Names_have_at_most_a_hundred_characters()
    {
        Assert.NotNull(KeyRules.Name(new string('n', 100), new ValidationErrors()));
        Assert.Null(KeyRules.Name(new string('n', 101), new ValidationErrors()));
        Assert.Equal("Déploiement ✓", KeyRules.Name("Déploiement ✓", new ValidationErrors()));
    }

    [Theory]
    [InlineData("org_a", true)]
    [InlineData("org_Acme2026", true)]
    [InlineData("org_", false)]
    [InlineData("org_a-b", false)]
    [InlineData("org_a_b", false)]
    [InlineData("ORG_abc", false)]
    [InlineData("org_abc\n", false)]
    [InlineData("org_é", false)]
    [InlineData("key_abc", false)]
    public void Organization_ids_are_org_and_letters_or_digits(string id, bool wellFormed)
    {
        Assert.Equal(wellFormed, OrganizationIds.IsWellFormed(id));
    }

    [Fact]
    public void Organization_ids_have_at_most_sixty_characters_after_the_prefix()
    {
        Assert.True(OrganizationIds.IsWellFormed("org_" + new string('a', 60)));
        Assert.False(OrganizationIds.IsWellFormed("org_" + new string('a', 61)));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(1_000_000, true)]
    [InlineData(1_000_001, false)]
    [InlineData(-5, false)]
    public void Rate_limit_overrides_are_one_to_a_million_per_minute(int perMinute, bool allowed)
    {
        var errors = new ValidationErrors();
        var limit = KeyRules.RateLimit(null, perMinute, errors);
        Assert.Equal(allowed, !errors.Any);
        Assert.Equal(allowed ? new RateLimit(perMinute, 60) : null, limit);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1000, 60)]
    [InlineData(1_000_000, 86_400)]
    public void Rate_limits_of_one_to_a_million_requests_per_second_to_day_are_allowed(int requests, int windowSeconds)
    {
        var errors = new ValidationErrors();
        Assert.Equal(new RateLimit(requests, windowSeconds), KeyRules.RateLimit(new RateLimit(requests, windowSeconds), null, errors));
        Assert.False(errors.Any);
    }

    [Theory]
    [InlineData(0, 60, "rateLimit.requests")]
    [InlineData(-1, 60, "rateLimit.requests")]
    [InlineData(1_000_001, 60, "rateLimit.requests")]
    [InlineData(100, 0, "rateLimit.windowSeconds")]
    [InlineData(100, 86_401, "rateLimit.windowSeconds")]
    [InlineData(100, int.MinValue, "rateLimit.windowSeconds")]
    public void Rate_limits_outside_the_bounds_are_refused(int requests, int windowSeconds, string field)
    {
        var errors = new ValidationErrors();
        Assert.Null(KeyRules.RateLimit(new RateLimit(requests, windowSeconds), null, errors));
        Assert.Contains(field, errors.ToDictionary().Keys);
    }

    [Fact]
    public void A_rate_limit_is_given_in_one_form_only()
    {
        var errors = new ValidationErrors();
        Assert.Null(KeyRules.RateLimit(new RateLimit(10, 1), 600, errors));
        Assert.Contains("rateLimit", errors.ToDictionary().Keys);
        Assert.Null(KeyRules.RateLimit(null, null, new ValidationErrors()));
    }

    [Fact]
    public void The_per_minute_form_exists_only_for_a_sixty_second_window()
    {
        Assert.Equal(600, new RateLimit(600, 60).PerMinute);
        Assert.Null(new RateLimit(10, 1).PerMinute);
        Assert.Null(new RateLimit(600, 3600).PerMinute);
    }

    [Theory]
    [InlineData(null, 86_400)]
    [InlineData(0, 0)]
    [InlineData(3600, 3600)]
    [InlineData(604_800, 604_800)]
    public void Overlaps_from_zero_to_seven_days_are_allowed(int? seconds, int expected)
    {
        Assert.Equal(TimeSpan.FromSeconds(expected), KeyRules.Overlap(seconds, new ValidationErrors()));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(604_801)]
    [InlineData(int.MaxValue)]
    public void Overlaps_outside_zero_to_seven_days_are_refused(int seconds)
    {
        var errors = new ValidationErrors();
        Assert.Null(KeyRules.Overlap(seconds, errors));
        Assert.Contains("overlapSeconds", errors.ToDictionary().Keys);
    }

    [Fact]
    public void Expiry_must_be_in_the_future_and_is_kept_in_utc()
    {
        Assert.Null(KeyRules.Expiry(Now, Now, new ValidationErrors()));
        Assert.Null(KeyRules.Expiry(Now.AddSeconds(-1), Now, new ValidationErrors()));
        var later = new DateTimeOffset(2026, 3, 1, 15, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(TimeSpan.Zero, KeyRules.Expiry(later, Now, new ValidationErrors())!.Value.Offset);
        Assert.Null(KeyRules.Expiry(null, Now, new ValidationErrors()));
    }
}
