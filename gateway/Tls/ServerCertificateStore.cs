using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.Tls;

/// <summary>
/// Holds the certificate the public listener presents, and swaps in a renewed one when its files change,
/// without a restart.
/// </summary>
/// <remarks>
/// The files are looked at from the handshake path, at most once per <see cref="GatewayCertificateOptions.ReloadCheckInterval"/>
/// and by one handshake at a time; the others keep using the current certificate meanwhile. Polling a fingerprint of the
/// files is more dependable than file watchers on mounted secret volumes.
/// </remarks>
internal sealed class ServerCertificateStore
{
    private readonly CertificateFiles _files;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _checking = new();
    private FileStamp _stamp;
    private long _nextCheck;
    private SslStreamCertificateContext _current;

    public ServerCertificateStore(IOptions<GatewayOptions> options, TimeProvider timeProvider, ILogger<ServerCertificateStore> logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;
        _checkInterval = options.Value.Certificate.ReloadCheckInterval;

        if (!string.IsNullOrWhiteSpace(options.Value.DevelopmentCertificatePath))
        {
            DevelopmentCertificate.EnsureUsable(options.Value.DevelopmentCertificatePath, timeProvider, logger);
        }

        _files = CertificateFiles.From(options.Value);
        _stamp = _files.Stamp();
        _current = Load();
        _nextCheck = NextCheck();
    }

    public SslStreamCertificateContext Current
    {
        get
        {
            if (_timeProvider.GetTimestamp() >= Volatile.Read(ref _nextCheck) && _checking.TryEnter())
            {
                try
                {
                    ReloadIfChanged();
                }
                finally
                {
                    _checking.Exit();
                }
            }

            return Volatile.Read(ref _current);
        }
    }

    private void ReloadIfChanged()
    {
        Volatile.Write(ref _nextCheck, NextCheck());

        try
        {
            var stamp = _files.Stamp();
            if (stamp == _stamp)
            {
                return;
            }

            // The replaced context is not disposed: handshakes in flight may still hold it.
            Volatile.Write(ref _current, Load());
            _stamp = stamp;
        }
        catch (Exception exception) when (exception is CryptographicException or IOException or UnauthorizedAccessException)
        {
            // A renewal may be caught half-written (certificate updated, key not yet): try again at the next check.
            _logger.CertificateReloadFailed(_files.Path, exception);
        }
    }

    private SslStreamCertificateContext Load()
    {
        var (leaf, context) = _files.Load();
        var thumbprint = leaf.GetCertHashString(HashAlgorithmName.SHA256);
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());

        _logger.CertificateLoaded(_files.Path, leaf.Subject, thumbprint, notAfter);

        var now = _timeProvider.GetUtcNow();
        if (now < notBefore || now > notAfter)
        {
            _logger.CertificateNotCurrentlyValid(_files.Path, thumbprint, notBefore, notAfter);
        }

        return context;
    }

    private long NextCheck() =>
        _timeProvider.GetTimestamp() + (long)(_checkInterval.TotalSeconds * _timeProvider.TimestampFrequency);
}
