using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

[Collection(KeysServiceCollection.Name)]
public sealed class KeySecrecyTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task A_full_key_is_in_no_database_column_no_event_and_no_log_line_only_its_keyed_hash_is_stored()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var first = await client.CreateKeyAsync(organization);
        var second = await client.RotateAsync(organization, first.Id(), overlapSeconds: 60);
        Assert.Null(await fixture.RejectionAsync(first.Secret()));
        Assert.Null(await fixture.RejectionAsync(second.Secret()));
        // Refusals are logged too: a wrong-checksum key and a revoked one.
        await fixture.RejectionAsync(second.Secret()[..^1] + (second.Secret()[^1] == 'A' ? 'B' : 'A'));
        (await client.PostAsync($"/v1/organizations/{organization}/keys/{second.Id()}/revoke", null)).Dispose();
        Assert.Equal("revoked", await fixture.RejectionAsync(second.Secret()));
        await fixture.Events.WaitForAsync("key.revoked", e => e.GetProperty("keyId").GetString() == second.Id());

        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("keysdb"));
        var secrets = new[] { first.Secret(), second.Secret() };
        var needles = secrets.SelectMany(s => new[] { s, s[8..40] }).Append(fixture.Pepper).ToList();
        var columns = await ColumnsAsync(dataSource);
        Assert.Contains(("api_keys", "secret_hash", "bytea"), columns);
        Assert.Contains(("outbox", "payload", "jsonb"), columns);
        foreach (var (table, column, type) in columns)
        {
            foreach (var needle in needles)
            {
                Assert.False(await ContainsAsync(dataSource, table, column, type, needle), $"{table}.{column} holds a secret.");
            }

            if (type == "bytea")
            {
                Assert.False(await ContainsAsync(dataSource, table, column, type, Convert.FromBase64String(fixture.Pepper)), $"{table}.{column} holds the pepper.");
            }
        }

        // What is stored is exactly HMAC-SHA256(pepper, key).
        foreach (var (secret, id) in new[] { (first.Secret(), first.Id()), (second.Secret(), second.Id()) })
        {
            await using var command = dataSource.CreateCommand("SELECT secret_hash FROM api_keys WHERE id = $1");
            command.Parameters.AddWithValue(id);
            var stored = (byte[])(await command.ExecuteScalarAsync())!;
            Assert.Equal(HMACSHA256.HashData(Convert.FromBase64String(fixture.Pepper), Encoding.ASCII.GetBytes(secret)), stored);
        }

        var lines = fixture.Logs.Lines;
        Assert.Contains(lines, l => l.Contains(first.Id(), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("refused", StringComparison.Ordinal));
        foreach (var needle in needles)
        {
            Assert.DoesNotContain(lines, l => l.Contains(needle, StringComparison.Ordinal));
        }
    }

    private static async Task<List<(string Table, string Column, string Type)>> ColumnsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'");
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<(string, string, string)>();
        while (await reader.ReadAsync()) columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return columns;
    }

    /// <summary>Text of any type is searched as text (arrays and JSON included); bytea for the needle's bytes.</summary>
    private static async Task<bool> ContainsAsync(NpgsqlDataSource dataSource, string table, string column, string type, object needle)
    {
        var test = type == "bytea"
            ? $"position($1::bytea in \"{column}\") > 0"
            : $"strpos(\"{column}\"::text, $1::text) > 0";
        await using var command = dataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM \"{table}\" WHERE {test})");
        command.Parameters.AddWithValue(needle is string text && type == "bytea" ? Encoding.ASCII.GetBytes(text) : needle);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
