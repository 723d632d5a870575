namespace Platform.Hosting;

/// <summary>What the command line asked for.</summary>
public sealed class AppHostOptions
{
    public string? Publisher { get; set; }

    public string? OutputPath { get; set; }

    public string? StateDirectory { get; set; }

    /// <summary>Ignore fixed ports in the model and pick free ones (tests, benchmarks, parallel runs).</summary>
    public bool RandomizePorts { get; set; }

    /// <summary>Run PostgreSQL without fsync: for throwaway test instances only.</summary>
    public bool Ephemeral { get; set; }

    /// <summary>Delete the state folder when the AppHost stops or dies: throwaway test instances only.</summary>
    public bool DeleteStateOnExit { get; set; }

    public bool ShowHelp { get; set; }

    public string? AppHostDirectory { get; set; }

    /// <summary>Where resource console output goes; null means the AppHost's own console, prefixed.</summary>
    public Action<string, string>? ResourceOutput { get; set; }

    public const string Usage = """
        Usage: dotnet run --project AppHost [-- options]

          (no options)                      start the platform locally and wait for Ctrl+C
          --publisher manifest              write the app model as an Aspire manifest and exit
          --output-path <file>              where the manifest goes (relative paths: from the AppHost folder)
          --state-dir <dir>                 keep local data, secrets and certificates here (default AppHost/.state)
          --random-ports                    use free ports instead of the fixed ones in the model
          --help                            show this text
        """;

    public static AppHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppHostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--publisher": options.Publisher = Value(args, ref i, arg); break;
                case "--output-path": options.OutputPath = Value(args, ref i, arg); break;
                case "--state-dir": options.StateDirectory = Value(args, ref i, arg); break;
                case "--random-ports": options.RandomizePorts = true; break;
                case "--help" or "-h" or "-?": options.ShowHelp = true; break;
                default: throw new AppHostUsageException($"Unknown argument '{Printable(arg)}'.");
            }
        }

        if (options.Publisher is not null and not "manifest")
        {
            throw new AppHostUsageException($"Unknown publisher '{Printable(options.Publisher)}': the only publisher is 'manifest'.");
        }

        if (options.Publisher is not null && options.OutputPath is null)
        {
            throw new AppHostUsageException("--publisher manifest needs --output-path <file>.");
        }

        if (options.Publisher is null && options.OutputPath is not null)
        {
            throw new AppHostUsageException("--output-path only goes with --publisher manifest.");
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string name)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new AppHostUsageException($"{name} needs a value.");
        }

        return args[++i];
    }

    // Arguments are echoed back in errors; keep control characters out of the terminal.
    private static string Printable(string value) =>
        new(value.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

public sealed class AppHostUsageException(string message) : Exception(message);
