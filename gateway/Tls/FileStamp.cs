using System.Security.Cryptography;

namespace Platform.Gateway.Tls;

/// <summary>A SHA-256 over the certificate and key files' contents, to notice a renewal.</summary>
/// <remarks>
/// Contents rather than write times: Kubernetes renews a mounted secret by swapping a <c>..data</c> directory
/// link, which leaves the attributes of the paths we were given unchanged, and copies may keep their old
/// times. The files are a few kilobytes and read once per check interval.
/// </remarks>
internal readonly record struct FileStamp(string Hash)
{
    /// <exception cref="IOException">A file is missing or unreadable, for example in the middle of a renewal.</exception>
    public static FileStamp Of(string path, string? keyPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(path));
        if (keyPath is not null)
        {
            hash.AppendData(File.ReadAllBytes(keyPath));
        }

        return new FileStamp(Convert.ToHexString(hash.GetHashAndReset()));
    }
}
