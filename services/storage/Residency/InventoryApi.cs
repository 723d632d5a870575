using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Storage.Apis;
using Platform.Storage.Blobs;
using Platform.Storage.Security;

namespace Platform.Storage.Residency;

/// <summary>
/// <c>GET /internal/v1/organizations/{org}/inventory</c> for services with a storage service credential (residency's
/// leak scan, issue 17): everything of the organization this region's storage holds, found where it is rather than
/// where its ids say — every dataset and object row of its own database, whatever region they name, and every file
/// under the organization's folder of its own blob root, with its size and SHA-256. It reads nothing of another
/// region: each region answers for itself and residency compares.
/// </summary>
public static class InventoryApi
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/v1/organizations/{organizationId}/inventory", GetInventory)
            .WithName("GetInventoryForService").RequireAuthorization(StoragePolicies.Service);
        return app;
    }

    internal static async Task<Results<Ok<StorageInventory>, ProblemHttpResult>> GetInventory(
        string organizationId, HttpContext http, NpgsqlDataSource dataSource, FileSystemBlobStore blobs, IOptions<StorageOptions> options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        var takenAt = time.GetUtcNow();
        var datasets = new List<InventoryDataset>();
        await using (var command = dataSource.CreateCommand("SELECT id, region, environment FROM datasets WHERE organization_id = $1 ORDER BY id COLLATE \"C\""))
        {
            command.Parameters.Add(new() { Value = organizationId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) datasets.Add(new InventoryDataset(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        var objects = new List<InventoryObject>();
        await using (var command = dataSource.CreateCommand("SELECT id, dataset_id, size, blob_key FROM objects WHERE organization_id = $1 ORDER BY id COLLATE \"C\""))
        {
            command.Parameters.Add(new() { Value = organizationId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) objects.Add(new InventoryObject(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3)));
        }

        var files = await BlobsAsync(blobs.Root, organizationId, cancellationToken);
        return TypedResults.Ok(new StorageInventory(organizationId, options.Value.Region, await ResidencyFences.GetAsync(dataSource, organizationId, cancellationToken),
            takenAt, datasets, objects, files));
    }

    /// <summary>Every file under <c>&lt;root&gt;/&lt;organization&gt;/</c>, at any depth and by any name, hashed.</summary>
    private static async Task<List<InventoryBlob>> BlobsAsync(string root, string organizationId, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(root, organizationId);
        var found = new List<InventoryBlob>();
        if (!Directory.Exists(folder)) return found;
        var enumeration = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        foreach (var path in Directory.EnumerateFiles(folder, "*", enumeration).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await using var stream = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0, Options = FileOptions.SequentialScan,
                });
                var hash = await SHA256.HashDataAsync(stream, cancellationToken);
                found.Add(new InventoryBlob(Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'), stream.Length, Convert.ToHexStringLower(hash)));
            }
            catch (FileNotFoundException)
            {
                // Deleted while the scan ran: no longer there.
            }
        }

        return found;
    }
}

/// <summary>What one region's storage holds of an organization, as found in its own database and blob root.</summary>
public sealed record StorageInventory(
    string OrganizationId, string Region, string? FencedTo, DateTimeOffset TakenAt,
    IReadOnlyList<InventoryDataset> Datasets, IReadOnlyList<InventoryObject> Objects, IReadOnlyList<InventoryBlob> Blobs);

/// <summary>A <c>datasets</c> row: its id and the region its row names.</summary>
public sealed record InventoryDataset(string Id, string Region, string Environment);

/// <summary>An <c>objects</c> row.</summary>
public sealed record InventoryObject(string Id, string DatasetId, long Size, string BlobKey);

/// <summary>A file under the organization's folder of the blob root: its path from the root, its size and SHA-256.</summary>
public sealed record InventoryBlob(string Path, long Size, string Sha256);
