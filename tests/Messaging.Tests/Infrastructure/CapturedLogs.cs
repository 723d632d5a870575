using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>Keeps a test host's log lines, to assert on them and to explain a timeout.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(int EventId, LogLevel Level, string Category, string Message)> Entries => [.. _entries];

    public bool Any(int eventId) => _entries.Any(entry => entry.EventId == eventId);

    public string Dump() => string.Join(
        Environment.NewLine,
        _entries.TakeLast(60).Select(e => $"{e.Level} [{e.EventId}] {e.Category}: {(e.Message.Length > 300 ? e.Message[..300] + "…" : e.Message)}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Npgsql reports every command at Information; only its problems help explain a failed test.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= (category.StartsWith("Npgsql", StringComparison.Ordinal) ? LogLevel.Warning : LogLevel.Information);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var message = formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})");
                logs._entries.Enqueue((eventId.Id, logLevel, category, message));
            }
        }
    }
}
