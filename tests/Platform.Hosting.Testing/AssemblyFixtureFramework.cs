using System.Reflection;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Platform.Hosting.Testing;

/// <summary>
/// An xUnit 2 test framework that gives every test class of the assembly the same <typeparamref name="TFixture"/>,
/// started before the first collection and disposed after the last, so that several collections run side by side on
/// one fixture. xUnit 2 has collection fixtures only (one per collection, disposed with it). A test class takes the
/// fixture as a constructor parameter, as it would a collection fixture. A collection that must not share the
/// fixture's servers with others while it runs (it stops or kills part of them) is declared with
/// <c>DisableParallelization = true</c>: xUnit runs those alone, after every parallel collection.
/// An assembly opts in with a subclass and <c>[assembly: TestFramework("&lt;subclass&gt;", "&lt;assembly&gt;")]</c>.
/// </summary>
public abstract class AssemblyFixtureFramework<TFixture>(IMessageSink diagnosticMessageSink) : XunitTestFramework(diagnosticMessageSink)
    where TFixture : class, IAsyncLifetime, new()
{
    protected sealed override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
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
        private readonly TFixture fixture = new();
        private bool started;

        protected override async Task AfterTestAssemblyStartingAsync()
        {
            await base.AfterTestAssemblyStartingAsync();
            // A start that fails is recorded here and fails every test with its cause, as a collection fixture's would.
            await Aggregator.RunAsync(async () =>
            {
                started = true;
                await fixture.InitializeAsync();
            });
        }

        protected override async Task BeforeTestAssemblyFinishedAsync()
        {
            if (started) await Aggregator.RunAsync(fixture.DisposeAsync);
            await base.BeforeTestAssemblyFinishedAsync();
        }

        protected override Task<RunSummary> RunTestCollectionAsync(IMessageBus messageBus, ITestCollection testCollection, IEnumerable<IXunitTestCase> testCases, CancellationTokenSource cancellationTokenSource) =>
            new CollectionRunner(fixture, testCollection, testCases, DiagnosticMessageSink, messageBus, TestCaseOrderer, new ExceptionAggregator(Aggregator), cancellationTokenSource).RunAsync();
    }

    private sealed class CollectionRunner(TFixture fixture, ITestCollection collection, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnostics, IMessageBus messageBus, ITestCaseOrderer orderer, ExceptionAggregator aggregator, CancellationTokenSource cancellation)
        : XunitTestCollectionRunner(collection, testCases, diagnostics, messageBus, orderer, aggregator, cancellation)
    {
        // The fixture is handed to the test classes beside the collection's own fixtures, not among them: the
        // collection runner disposes its fixtures when the collection ends, and this one outlives every collection.
        protected override Task<RunSummary> RunTestClassAsync(ITestClass testClass, IReflectionTypeInfo @class, IEnumerable<IXunitTestCase> testCases)
        {
            var fixtures = new Dictionary<Type, object>(CollectionFixtureMappings) { [typeof(TFixture)] = fixture };
            return new XunitTestClassRunner(testClass, @class, testCases, DiagnosticMessageSink, MessageBus, TestCaseOrderer, new ExceptionAggregator(Aggregator), CancellationTokenSource, fixtures).RunAsync();
        }
    }
}
