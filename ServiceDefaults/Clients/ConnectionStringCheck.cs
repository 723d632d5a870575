using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Platform.ServiceDefaults.Clients;

/// <summary>
/// Fails the start-up when a registered client's connection string is missing or malformed, naming every such
/// connection at once rather than the first one some constructor or request happens to need.
/// </summary>
/// <remarks>
/// Aspire's integrations do less: RabbitMQ's connects to <c>localhost:5672</c> as guest without one, and a parser's
/// error can quote a piece of the password. The messages here name the connection and the setting, never the value.
/// <para>
/// It runs twice over, whichever comes first: when the host starts (<see cref="StartingAsync"/>, before any hosted
/// service starts) and when a client is first built. The second matters because the host constructs every hosted
/// service before starting any, so one that takes a client (an event consumer, an outbox relay) builds that client
/// before <see cref="StartingAsync"/> could run.
/// </para>
/// </remarks>
internal sealed class ConnectionStringCheck(IEnumerable<RequiredConnectionString> required, IConfiguration configuration)
    : IHostedLifecycleService
{
    private readonly Lazy<IReadOnlyDictionary<string, string>> _problems = new(() => FindProblems(required, configuration));

    /// <summary>What is wrong with each connection that has a problem, by connection name; safe to show anyone.</summary>
    public IReadOnlyCollection<string> Problems => _problems.Value.Values.ToList();

    /// <exception cref="InvalidOperationException">Naming every missing or malformed connection string of the app.</exception>
    public void ThrowIfAnyProblem()
    {
        if (_problems.Value.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, _problems.Value.Values));
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        ThrowIfAnyProblem();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static Dictionary<string, string> FindProblems(IEnumerable<RequiredConnectionString> required, IConfiguration configuration)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var requirement in required.DistinctBy(requirement => requirement.ConnectionName, StringComparer.Ordinal))
        {
            var name = requirement.ConnectionName;
            var value = requirement.Resolve(configuration);
            if (string.IsNullOrWhiteSpace(value))
            {
                problems[name] =
                    $"Connection string '{name}' is missing: set 'ConnectionStrings:{name}' in configuration " +
                    $"or the environment variable 'ConnectionStrings__{name}'.";
            }
            else if (!requirement.Format.Accepts(value))
            {
                // The parser's message stays out: parsers quote the part they choke on, which can be a piece of the
                // password (a Redis password with a comma comes back as "Keyword '<tail>' is not supported").
                problems[name] =
                    $"Connection string '{name}' is not {requirement.Format.Shape}: correct 'ConnectionStrings:{name}' " +
                    $"in configuration or the environment variable 'ConnectionStrings__{name}'.";
            }
        }

        return problems;
    }
}
