using System.Text.Json;
using Npgsql;
using Platform.Messaging;

namespace Platform.Identity.SubjectRequests;

/// <summary>Small helpers for the data-subject handlers: rows as JSON values, and counted statements.</summary>
internal static class SubjectSql
{
    public const string ErasedMarker = "erased-subject";

    /// <summary>Every row of <paramref name="sql"/> as an object of its columns (camelCase names given by the query's aliases).</summary>
    public static Task<JsonElement> RowsAsync(string sql, IntegrationEventContext context, CancellationToken cancellationToken, params object[] parameters) =>
        context.RowsAsJsonAsync(sql, cancellationToken, parameters);

    public static async Task<long> ExecuteAsync(string sql, IntegrationEventContext context, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, context.Connection, context.Transaction);
        foreach (var value in parameters) command.Parameters.Add(new() { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
