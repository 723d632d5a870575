using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Platform.Audit.Tests;

/// <summary>Every log line the audit service writes in the tests (message and exception), to show a secret never reaches one.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    public static readonly CapturedLogs Instance = new();
    private readonly ConcurrentQueue<string> lines = new();

    public bool Contains(string text) => lines.Any(line => line.Contains(text, StringComparison.Ordinal));

    public int Count => lines.Count;

    /// <summary>The lines that contain <paramref name="text"/>, for a failure's message.</summary>
    public string Matching(string text) => string.Join(Environment.NewLine, lines.Where(line => line.Contains(text, StringComparison.Ordinal)));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Npgsql's and ASP.NET Core's own chatter is not the audit service's; the service's categories are kept.
            if (!category.StartsWith("Platform.", StringComparison.Ordinal)) return;
            logs.lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
