using Microsoft.Extensions.Options;
using Platform.Security.Authentication;
using Platform.Storage.Model;

namespace Platform.Storage;

/// <summary>
/// Checks the whole <c>Storage</c> section and reports every problem at once. Messages name settings, never their
/// values: the root key and the tokens are secrets.
/// </summary>
internal sealed class StorageOptionsValidator(IHostEnvironment environment) : IValidateOptions<StorageOptions>
{
    public const int MinTokenLength = 32;

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        if (!Regions.IsWellFormed(options.Region))
        {
            errors.Add("Storage:Region must be 1 to 32 lower-case letters, digits or '-' (e.g. 'eu', 'us-east').");
        }

        if (string.IsNullOrWhiteSpace(options.BlobRoot) || !Path.IsPathFullyQualified(options.BlobRoot))
        {
            errors.Add("Storage:BlobRoot must be an absolute directory path.");
        }

        if (options.SegmentSize is < 4096 or > 4 * 1024 * 1024)
        {
            errors.Add("Storage:SegmentSize must be from 4096 to 4194304 bytes.");
        }

        if (options.MaxObjectBytes < 0) errors.Add("Storage:MaxObjectBytes must not be negative.");
        if (options.RotationPeriod < TimeSpan.FromHours(1) || options.RotationPeriod > TimeSpan.FromDays(3650))
        {
            errors.Add("Storage:RotationPeriod must be from 1 hour to 3650 days.");
        }

        if (options.MaintenanceInterval < TimeSpan.FromMilliseconds(100)) errors.Add("Storage:MaintenanceInterval must be at least 100 ms.");
        if (options.KeyUsageLimit is < 1 or > 1L << 32) errors.Add("Storage:KeyUsageLimit must be from 1 to 2^32 (NIST SP 800-38D section 8.3).");
        if (options.RewrapBatchSize is < 1 or > 10_000) errors.Add("Storage:RewrapBatchSize must be from 1 to 10000.");
        if (options.OrphanGracePeriod < TimeSpan.FromMinutes(1)) errors.Add("Storage:OrphanGracePeriod must be at least 1 minute: an upload between its blob's rename and its row's commit must never look orphaned.");
        if (options.OrphanSweepInterval < TimeSpan.FromMilliseconds(100)) errors.Add("Storage:OrphanSweepInterval must be at least 100 ms.");

        if (options.GroupCommit.MaxBatch is < 1 or > 1000) errors.Add("Storage:GroupCommit:MaxBatch must be from 1 to 1000.");
        if (options.GroupCommit.MaxWait < TimeSpan.Zero || options.GroupCommit.MaxWait > TimeSpan.FromMilliseconds(100))
        {
            errors.Add("Storage:GroupCommit:MaxWait must be from 0 to 100 ms: every upload of a batch waits for it.");
        }

        var reach = options.BackupReach;
        if (reach.EpochRotation < TimeSpan.FromMinutes(1)) errors.Add("Storage:BackupReach:EpochRotation must be at least 1 minute.");
        if (reach.BackupRetention < TimeSpan.FromMinutes(1)) errors.Add("Storage:BackupReach:BackupRetention must be at least 1 minute.");
        if (reach.TransitReportInterval < TimeSpan.FromSeconds(1)) errors.Add("Storage:BackupReach:TransitReportInterval must be at least 1 second.");
        if (reach.TransitGrace < TimeSpan.Zero) errors.Add("Storage:BackupReach:TransitGrace must not be negative.");
        if (reach.EpochRotation + reach.TransitReportInterval + reach.TransitGrace + reach.BackupRetention + options.MaintenanceInterval > reach.Bound)
        {
            errors.Add($"Storage:BackupReach: EpochRotation ({reach.EpochRotation}) + TransitReportInterval ({reach.TransitReportInterval}) + TransitGrace ({reach.TransitGrace}) + BackupRetention ({reach.BackupRetention}) + Storage:MaintenanceInterval ({options.MaintenanceInterval}) must not exceed Bound ({reach.Bound}): deletion must reach every backup within the bound.");
        }

        ValidateRootKey(options.RootKey, errors);
        ValidateServiceTokens(options.ServiceTokens, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateRootKey(RootKeyOptions root, List<string> errors)
    {
        switch (root.Provider)
        {
            case "File":
                if (!environment.IsDevelopment() && !root.AllowFileProviderInProduction)
                {
                    errors.Add($"Storage:RootKey:Provider 'File' keeps the root key outside an HSM and is refused in the '{environment.EnvironmentName}' environment; use 'Pkcs11', or set Storage:RootKey:AllowFileProviderInProduction to true deliberately.");
                }

                if (string.IsNullOrEmpty(root.Key) == string.IsNullOrEmpty(root.KeyFile))
                {
                    errors.Add("Storage:RootKey needs exactly one of Key (base64 of at least 32 random bytes) or KeyFile (a path to a file holding it).");
                }
                else if (root.Key is { Length: > 0 } key && !IsKey(key))
                {
                    errors.Add("Storage:RootKey:Key must be base64 of at least 32 random bytes (e.g. from 'openssl rand -base64 32').");
                }
                else if (root.KeyFile is { Length: > 0 } file && !File.Exists(file))
                {
                    errors.Add("Storage:RootKey:KeyFile does not name an existing file.");
                }

                if (root.OrganizationKeyFolder is not { Length: > 0 } folder || !Path.IsPathFullyQualified(folder))
                {
                    errors.Add("Storage:RootKey:OrganizationKeyFolder must be an absolute path (the file provider keeps each organization's own key there, outside the database's backups).");
                }

                break;
            case "Pkcs11":
                if (!File.Exists(root.Pkcs11.LibraryPath)) errors.Add("Storage:RootKey:Pkcs11:LibraryPath must name the PKCS#11 module (.so) file.");
                if (string.IsNullOrEmpty(root.Pkcs11.TokenLabel)) errors.Add("Storage:RootKey:Pkcs11:TokenLabel is required.");
                if (string.IsNullOrEmpty(root.Pkcs11.Pin)) errors.Add("Storage:RootKey:Pkcs11:Pin is required.");
                if (string.IsNullOrEmpty(root.Pkcs11.KeyLabel)) errors.Add("Storage:RootKey:Pkcs11:KeyLabel is required.");
                break;
            default:
                errors.Add("Storage:RootKey:Provider must be 'File' or 'Pkcs11'.");
                break;
        }
    }

    private static void ValidateServiceTokens(List<ServiceCaller> callers, List<string> errors)
    {
        for (var index = 0; index < callers.Count; index++)
        {
            var caller = callers[index];
            var path = $"Storage:ServiceTokens:{index}";
            if (caller.Name is not { Length: > 0 and <= 64 } || !caller.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                errors.Add($"{path}:Name must be 1 to 64 lower-case letters, digits or '-'.");
            }

            if (caller.Token is not { Length: >= MinTokenLength }) errors.Add($"{path}:Token must have at least {MinTokenLength} characters.");
            OperatorNetworks.Parse(caller.Networks, path, errors);
            if (caller.Organizations.Count == 0 || caller.Organizations.Any(o => o != "*" && !OrganizationIds.IsWellFormed(o)))
            {
                errors.Add($"{path}:Organizations needs organization ids (org_…), or \"*\" for all of them.");
            }
        }

        if (callers.Select(c => c.Token).Distinct(StringComparer.Ordinal).Count() != callers.Count)
        {
            errors.Add("Storage:ServiceTokens tokens must all differ.");
        }
    }

    internal static bool IsKey(string base64)
    {
        var buffer = new byte[base64.Length];
        try
        {
            return Convert.TryFromBase64String(base64, buffer, out var length) && length >= 32;
        }
        finally
        {
            Array.Clear(buffer);
        }
    }
}
