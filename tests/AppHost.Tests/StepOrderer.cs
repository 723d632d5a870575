using Xunit.Abstractions;
using Xunit.Sdk;

namespace Platform.AppHost.Tests;

/// <summary>Orders a class's tests by <see cref="StepAttribute"/>: tests that observe a shared AppHost run before the one that stops it.</summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "Platform.AppHost.Tests.StepOrderer";
    public const string AssemblyName = "AppHost.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(test => test.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName).FirstOrDefault()?.GetConstructorArguments().Cast<int>().Single() ?? 0);
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int number) : Attribute
{
    public int Number { get; } = number;
}
