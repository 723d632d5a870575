namespace Platform.Gateway.Tls;

// Paths, thumbprints and dates only: never key material or passwords.
internal static partial class TlsLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Serving TLS certificate from {Path}: subject {Subject}, SHA-256 thumbprint {Thumbprint}, valid until {NotAfter:O}")]
    public static partial void CertificateLoaded(this ILogger logger, string path, string subject, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "TLS certificate from {Path} (SHA-256 thumbprint {Thumbprint}) is not valid now: {NotBefore:O} to {NotAfter:O}")]
    public static partial void CertificateNotCurrentlyValid(this ILogger logger, string path, string thumbprint, DateTimeOffset notBefore, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error,
        Message = "TLS certificate files at {Path} changed but could not be loaded; still serving the previous certificate")]
    public static partial void CertificateReloadFailed(this ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information,
        Message = "Created development certificate {Path} (SHA-256 thumbprint {Thumbprint}, valid until {NotAfter:O})")]
    public static partial void DevelopmentCertificateCreated(this ILogger logger, string path, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information,
        Message = "Reusing development certificate {Path} (SHA-256 thumbprint {Thumbprint}, valid until {NotAfter:O})")]
    public static partial void DevelopmentCertificateReused(this ILogger logger, string path, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information,
        Message = "Replacing development certificate {Path}: {Reason}")]
    public static partial void DevelopmentCertificateReplaced(this ILogger logger, string path, string reason);
}
