namespace Platform.AppHost.Tests;

/// <summary>Arguments the AppHost does not know stop it before it starts anything.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--frobnicate")]
    [InlineData("--state-dir")]
    [InlineData("--publisher")]
    [InlineData("--only")]
    [InlineData("start")]
    public async Task A_bad_argument_exits_2_with_the_reason_and_the_usage_and_starts_nothing(string argument)
    {
        var state = Path.Combine(Path.GetTempPath(), $"apphost-args-{Guid.NewGuid():n}");
        var marker = Guid.NewGuid().ToString("n");
        // The bad argument last: "--state-dir", "--publisher" or "--only" then lack their value.
        var needsValue = argument is "--state-dir" or "--publisher" or "--only";
        string[] args = needsValue ? ["--state-dir", state, argument] : [argument, "--state-dir", state];

        var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(1), args, marker: marker);

        Assert.Equal(2, code);
        Assert.Contains(needsValue ? $"{argument} needs a value." : $"Unknown argument '{argument}'.", output);
        Assert.Contains("Usage: dotnet run --project AppHost", output);
        Assert.DoesNotContain("Distributed application starting", output);
        Assert.False(Directory.Exists(state), "a refused command must not create state");
        Assert.Empty(ProcessTable.Alive([], marker, state));
    }

    [Fact]
    public async Task Only_with_a_resource_the_model_does_not_have_exits_1_naming_it_and_starts_nothing()
    {
        var state = Path.Combine(Path.GetTempPath(), $"apphost-only-{Guid.NewGuid():n}");
        var marker = Guid.NewGuid().ToString("n");

        var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(1), ["--no-containers", "--state-dir", state, "--only", "keys,kyes"], marker: marker);

        Assert.Equal(1, code);
        Assert.Contains("--only: there is no resource named 'kyes'", output);
        Assert.DoesNotContain("Distributed application starting", output);
        Assert.Empty(ProcessTable.Alive([], marker, state));
        if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
    }

    [Fact]
    public async Task Help_prints_the_usage_and_exits_0()
    {
        var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(1), ["--help"]);

        Assert.Equal(0, code);
        Assert.Contains("--state-dir <dir>", output);
        Assert.Contains("--only <resource>", output);
        Assert.Contains("--publisher manifest --output-path <file>", output);
    }
}
