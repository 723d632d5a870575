using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Platform.IntegrationTests.SharedPlatform", "Platform.IntegrationTests")]

namespace Platform.IntegrationTests;

/// <summary>
/// One platform for the whole assembly, started before the first collection and stopped after the last, so that the
/// collections below run side by side on it. xUnit 2 has collection fixtures only (one per collection); this framework
/// gives every test class a <see cref="PlatformFixture"/> the way a collection fixture would, but the same one.
/// Most of these tests wait (for grace periods, purge ticks, mail, a browser) rather than compute, and the waits of
/// parallel collections overlap. Tests that stop or kill part of the platform are in <see cref="Outages"/>, which
/// xUnit runs alone after every parallel collection has finished.
/// </summary>
public sealed class SharedPlatform(IMessageSink diagnosticMessageSink) : XunitTestFramework(diagnosticMessageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformation, IMessageSink diagnostics)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformation, diagnostics)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new AssemblyRunner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class AssemblyRunner(ITestAssembly assembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnostics, IMessageSink execution, ITestFrameworkExecutionOptions options)
        : XunitTestAssemblyRunner(assembly, testCases, diagnostics, execution, options)
    {
        private readonly PlatformFixture platform = new();
        private bool started;

        protected override async Task AfterTestAssemblyStartingAsync()
        {
            await base.AfterTestAssemblyStartingAsync();
            // A start that fails is recorded here and fails every test with its cause, as a collection fixture's would.
            await Aggregator.RunAsync(async () =>
            {
                started = true;
                await platform.InitializeAsync();
            });
        }

        protected override async Task BeforeTestAssemblyFinishedAsync()
        {
            if (started) await Aggregator.RunAsync(platform.DisposeAsync);
            await base.BeforeTestAssemblyFinishedAsync();
        }

        protected override Task<RunSummary> RunTestCollectionAsync(IMessageBus messageBus, ITestCollection testCollection, IEnumerable<IXunitTestCase> testCases, CancellationTokenSource cancellationTokenSource) =>
            new CollectionRunner(platform, testCollection, testCases, DiagnosticMessageSink, messageBus, TestCaseOrderer, new ExceptionAggregator(Aggregator), cancellationTokenSource).RunAsync();
    }

    private sealed class CollectionRunner(PlatformFixture platform, ITestCollection collection, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnostics, IMessageBus messageBus, ITestCaseOrderer orderer, ExceptionAggregator aggregator, CancellationTokenSource cancellation)
        : XunitTestCollectionRunner(collection, testCases, diagnostics, messageBus, orderer, aggregator, cancellation)
    {
        // The platform is handed to the test classes beside the collection's own fixtures, not among them: the
        // collection runner disposes its fixtures when the collection ends, and this one outlives every collection.
        protected override Task<RunSummary> RunTestClassAsync(ITestClass testClass, IReflectionTypeInfo @class, IEnumerable<IXunitTestCase> testCases)
        {
            var fixtures = new Dictionary<Type, object>(CollectionFixtureMappings) { [typeof(PlatformFixture)] = platform };
            return new XunitTestClassRunner(testClass, @class, testCases, DiagnosticMessageSink, MessageBus, TestCaseOrderer, new ExceptionAggregator(Aggregator), CancellationTokenSource, fixtures).RunAsync();
        }
    }
}

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
