using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Retention.Backups;

/// <summary>Checks <c>Retention:Backups</c> at start-up, every error at once, naming settings and never a key or token.</summary>
internal sealed partial class BackupOptionsValidator : IValidateOptions<BackupOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupOptions options)
    {
        var errors = new List<string>();
        const string S = BackupOptions.Section;
        if (!options.Enabled)
        {
            if (options.Databases.Count > 0 || options.BlobRoots.Count > 0 || options.Operators.Count > 0)
                errors.Add($"{S}:Folder must be set (an absolute folder) when databases, blob roots or operators are configured.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        if (!Path.IsPathFullyQualified(options.Folder)) errors.Add($"{S}:Folder must be an absolute folder.");
        if (options.Key is not { Length: >= 32 }) errors.Add($"{S}:Key must have at least 32 characters.");
        if (options.SigningKey is not { Length: >= 32 }) errors.Add($"{S}:SigningKey must have at least 32 characters.");
        if (options.Key.Length > 0 && options.Key == options.SigningKey) errors.Add($"{S}:Key and {S}:SigningKey must differ.");
        if (options.Retention < TimeSpan.FromMinutes(1)) errors.Add($"{S}:Retention must be at least 1 minute.");
        if (options.KeyEpochRotation < TimeSpan.FromMinutes(1)) errors.Add($"{S}:KeyEpochRotation must be at least 1 minute.");
        if (options.Retention + options.KeyEpochRotation > options.DeletionBound)
        {
            errors.Add($"{S}: Retention ({options.Retention}) + KeyEpochRotation ({options.KeyEpochRotation}) must not exceed DeletionBound ({options.DeletionBound}): "
                + "a deleted item must be unrecoverable from every backup within the bound.");
        }

        if (options.ExpiryInterval < TimeSpan.FromMilliseconds(100) || options.ExpiryInterval > TimeSpan.FromDays(1)) errors.Add($"{S}:ExpiryInterval must be between 100 ms and 1 day.");
        if (options.PostgresBinDirectory is { Length: > 0 } bin && !Path.IsPathFullyQualified(bin)) errors.Add($"{S}:PostgresBinDirectory must be an absolute folder.");
        if (options.Databases.Count + options.BlobRoots.Count == 0) errors.Add($"{S}: name at least one database or blob root to back up.");

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < options.Databases.Count; index++)
        {
            var database = options.Databases[index];
            if (!ValidName().IsMatch(database.Name)) errors.Add($"{S}:Databases:{index}:Name must be 1 to 40 lower-case letters, digits or '-'.");
            else if (!names.Add(database.Name)) errors.Add($"{S}:Databases:{index}:Name '{database.Name}' is used twice.");
            if (!ConnectionStrings.IsPostgres(database.ConnectionString)) errors.Add($"{S}:Databases:{index}:ConnectionString must be a PostgreSQL connection string with Host and Database.");
            if (database.TransitKeys is { } transit && (transit == database.Name || !options.Databases.Any(d => d.Name == transit)))
                errors.Add($"{S}:Databases:{index}:TransitKeys must name another of {S}:Databases (the storage whose transit keys sealed its ciphertexts).");
        }

        for (var index = 0; index < options.BlobRoots.Count; index++)
        {
            var root = options.BlobRoots[index];
            if (!ValidName().IsMatch(root.Name)) errors.Add($"{S}:BlobRoots:{index}:Name must be 1 to 40 lower-case letters, digits or '-'.");
            else if (!names.Add(root.Name)) errors.Add($"{S}:BlobRoots:{index}:Name '{root.Name}' is used twice (databases and blob roots share names).");
            if (!Path.IsPathFullyQualified(root.Path)) errors.Add($"{S}:BlobRoots:{index}:Path must be an absolute folder.");
            if (root.Database is { } database && !options.Databases.Any(d => d.Name == database)) errors.Add($"{S}:BlobRoots:{index}:Database must name one of {S}:Databases.");
        }

        var tokens = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < options.Operators.Count; index++)
        {
            var @operator = options.Operators[index];
            if (@operator.Name is not { Length: > 0 }) errors.Add($"{S}:Operators:{index}:Name is required.");
            if (@operator.Token is not { Length: >= 32 }) errors.Add($"{S}:Operators:{index}:Token must have at least 32 characters.");
            else if (!tokens.Add(@operator.Token)) errors.Add($"{S}:Operators:{index}:Token is the same as another operator's.");
            OperatorNetworks.Parse(@operator.Networks, $"{S}:Operators:{index}", errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex ValidName();
}

internal static class ConnectionStrings
{
    public static bool IsPostgres(string value)
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(value);
            return builder.Host is { Length: > 0 } && builder.Database is { Length: > 0 };
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Host, port and database: whether two connection strings name the same database.</summary>
    public static (string Host, int Port, string Database) Identity(string value)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(value);
        return (builder.Host!, builder.Port, builder.Database!);
    }
}
