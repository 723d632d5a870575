using Platform.Hosting.Testing;

namespace Platform.IntegrationTests;

/// <summary>The whole app model, started once for every test in the "platform" collection.</summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public TestingApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await DistributedApplicationTestingBuilder.CreateAsync();
        await App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
