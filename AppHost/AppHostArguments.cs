using Platform.AppHost.Servers;

namespace Platform.AppHost;

/// <summary>
/// The AppHost's own switches, turned into configuration, and Aspire's, passed on. Anything else stops the AppHost
/// with the usage text before it starts anything.
/// </summary>
internal static class AppHostArguments
{
    public const string Usage = """
        Usage: dotnet run --project AppHost [-- options]

          (no options)                      start the platform and the Aspire dashboard; Ctrl+C stops everything
          --containers                      run PostgreSQL, Redis and RabbitMQ as Aspire's official containers
          --no-containers                   run them as local processes from Debian's packages (installed if missing)
                                            (default: containers when Docker or Podman answers, else processes)
          --resource-logs                   also print every resource's console output here, prefixed with its name
          --state-dir <dir>                 keep local server data here (default AppHost/.state)
          --only <resource>[,<resource>...] run only these resources and what they need (e.g. --only keys)
          --publisher manifest --output-path <file>
                                            write the app model as an Aspire manifest and exit
          --<Configuration:Key>=<value>     any configuration value, e.g. --Parameters:keys-pepper=...
          --help                            show this text
        """;

    // Aspire's own switches that take a value.
    private static readonly HashSet<string> aspireOptions = ["--publisher", "--output-path", "--operation", "--environment", "--step", "--log-level"];

    /// <summary>The arguments for Aspire, or null when the AppHost should stop (help shown, or a usage error printed).</summary>
    public static string[]? Parse(string[] args, out int exitCode)
    {
        exitCode = 0;
        var forAspire = new List<string>();
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                switch (arg)
                {
                    case "--help" or "-h" or "-?":
                        Console.WriteLine(Usage);
                        return null;
                    case "--containers":
                        forAspire.Add($"--{ServerModes.ConfigurationKey}=containers");
                        break;
                    case "--no-containers":
                        forAspire.Add($"--{ServerModes.ConfigurationKey}=processes");
                        break;
                    case "--resource-logs":
                        forAspire.Add($"--{Supervision.ResourceLogEcho.ConfigurationKey}=true");
                        break;
                    case "--only":
                        forAspire.Add($"--{ResourceSelection.ConfigurationKey}={Value(args, ref i, arg)}");
                        break;
                    case "--state-dir":
                        forAspire.Add($"--{StateFolder.ConfigurationKey}={Value(args, ref i, arg)}");
                        break;
                    case var option when aspireOptions.Contains(option):
                        forAspire.Add(option);
                        forAspire.Add(Value(args, ref i, arg));
                        break;
                    case var setting when setting.StartsWith("--", StringComparison.Ordinal) && setting.Contains(':') && setting.Contains('='):
                        forAspire.Add(setting);
                        break;
                    default:
                        throw new ArgumentException($"Unknown argument '{Printable(arg)}'.");
                }
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{e.Message}{Environment.NewLine}{Environment.NewLine}{Usage}");
            exitCode = 2;
            return null;
        }

        return [.. forAspire];
    }

    private static string Value(string[] args, ref int i, string name)
    {
        if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name} needs a value.");
        }

        return args[++i];
    }

    // Arguments are echoed back in errors; keep control characters out of the terminal.
    private static string Printable(string value) =>
        new(value.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
