using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

/// <summary>Every log line a test host writes, exception text included, to check that no secret reaches a log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._lines.Enqueue($"{logLevel} [{eventId.Id}] {category}: {formatter(state, exception)} {exception}");
    }
}
