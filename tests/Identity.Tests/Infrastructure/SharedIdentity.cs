using Platform.Hosting.Testing;
using Xunit.Abstractions;

[assembly: TestFramework("Platform.Identity.Tests.Infrastructure.SharedIdentity", "Identity.Tests")]

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// One <see cref="IdentityFixture"/> for the whole assembly (<see cref="AssemblyFixtureFramework{TFixture}"/>), so that
/// the browser journeys, which run on the fixture's HTTPS instance and the real clock, go side by side with the API
/// tests, which move the in-process instance's fake clock and so must take turns with each other.
/// </summary>
public sealed class SharedIdentity(IMessageSink diagnosticMessageSink) : AssemblyFixtureFramework<IdentityFixture>(diagnosticMessageSink);

/// <summary>The tests on the in-process service and its fake clock: one at a time, since any of them may move it.</summary>
[CollectionDefinition(Name)]
public sealed class IdentityCollection
{
    public const string Name = "identity-service";
}

/// <summary>Chromium and the Node.js clients against the HTTPS instance on the real clock, beside <see cref="IdentityCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "identity-browsers";
}
