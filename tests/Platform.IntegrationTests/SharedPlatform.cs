using Platform.Hosting.Testing;
using Xunit.Abstractions;

[assembly: TestFramework("Platform.IntegrationTests.SharedPlatform", "Platform.IntegrationTests")]

namespace Platform.IntegrationTests;

/// <summary>
/// One platform for the whole assembly, started before the first collection and stopped after the last, so that the
/// collections below run side by side on it (<see cref="AssemblyFixtureFramework{TFixture}"/>). Most of these tests
/// wait (for grace periods, purge ticks, mail, a browser) rather than compute, and the waits of parallel collections
/// overlap. Tests that stop or kill part of the platform are in <see cref="Collections.Outages"/>, which xUnit runs
/// alone after every parallel collection has finished.
/// </summary>
public sealed class SharedPlatform(IMessageSink diagnosticMessageSink) : AssemblyFixtureFramework<PlatformFixture>(diagnosticMessageSink);

/// <summary>The collections that run side by side on the one platform; a test class joins the one of its area.</summary>
public static class Collections
{
    /// <summary>The console's pages and its browser journey.</summary>
    public const string Console = "console";

    /// <summary>Retention: policies, holds, purges, closure (which waits out its grace period) and subject requests.</summary>
    public const string Retention = "retention";

    /// <summary>Residency and the audit log's API.</summary>
    public const string ResidencyAndAudit = "residency and audit";

    /// <summary>The foundation, the edge, keys, identity, storage and the attacks on them.</summary>
    public const string Platform = "platform";

    /// <summary>Tests that stop a server or service or kill a gateway replica: alone, after the others.</summary>
    public const string Outages = "outages";
}

[CollectionDefinition(Collections.Console)]
public sealed class ConsoleCollection;

[CollectionDefinition(Collections.Retention)]
public sealed class RetentionCollection;

[CollectionDefinition(Collections.ResidencyAndAudit)]
public sealed class ResidencyAndAuditCollection;

[CollectionDefinition(Collections.Platform)]
public sealed class PlatformCollection;

[CollectionDefinition(Collections.Outages, DisableParallelization = true)]
public sealed class OutagesCollection;
