using Platform.Hosting.Testing;
using Xunit.Abstractions;

[assembly: TestFramework("Platform.Identity.Tests.Infrastructure.SharedIdentity", "Identity.Tests")]

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// One <see cref="IdentityFixture"/> for the whole assembly (<see cref="AssemblyFixtureFramework{TFixture}"/>), so that
/// a journey that runs on the fixture's HTTPS instance and the real clock alone goes side by side with the tests of
/// the in-process instance, which move its fake clock and so must take turns with each other. A journey that sets
/// itself up through the in-process instance (TestUser) belongs with those: a clock moved under it expires its step-up
/// or fires the resilience pipeline's timeout of a request in flight (seen: SSO discovery failed with a 500).
/// </summary>
public sealed class SharedIdentity(IMessageSink diagnosticMessageSink) : AssemblyFixtureFramework<IdentityFixture>(diagnosticMessageSink);

/// <summary>The tests on the in-process service and its fake clock: one at a time, since any of them may move it.</summary>
[CollectionDefinition(Name)]
public sealed class IdentityCollection
{
    public const string Name = "identity-service";
}

/// <summary>Journeys entirely on the HTTPS instance and the real clock (Chromium, the Node.js clients), beside <see cref="IdentityCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "identity-browsers";
}
