using System.Text.Json;

namespace Platform.Hosting.Testing.SharedServers;

/// <summary>
/// What a test process needs to use the run's shared servers: their connection strings, and what rabbitmqctl needs to
/// reach the RabbitMQ node (its home with the cookie, its Erlang port mapper, its configuration folder).
/// </summary>
public sealed record SharedServerSet(
    int HostProcessId,
    string Postgres,
    string Redis,
    string Messaging,
    string RabbitHome,
    int RabbitEpmdPort,
    string RabbitDirectory)
{
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this));
        File.Move(temporary, path, overwrite: true);
    }

    public static SharedServerSet? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<SharedServerSet>(File.ReadAllText(path)) : null;
}
