using System.Net;
using Microsoft.Extensions.Options;
using Platform.Gateway.SecurityTxt;

namespace Platform.Gateway;

/// <summary>
/// Checks the whole <c>Gateway</c> section and reports every problem at once, so an operator fixes a
/// deployment in one go instead of one restart per mistake.
/// </summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();

        ValidatePorts(options, errors);

        if (!IPAddress.TryParse(options.BindAddress, out _) && !string.Equals(options.BindAddress, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Gateway:BindAddress '{options.BindAddress}' is not an IPv4 or IPv6 address (or 'localhost' for both loopbacks).");
        }

        foreach (var range in options.TrustedProxies.Where(r => !IPNetwork.TryParse(r, out _)))
        {
            errors.Add($"Gateway:TrustedProxies entry '{range}' is not a CIDR range such as 10.0.0.0/8 or fd00::/8.");
        }

        errors.AddRange(options.Limits.Validate());
        errors.AddRange(options.ConsoleForwarding.Validate("Gateway:ConsoleForwarding"));
        ValidateCertificate(options, errors);
        ValidateSecurityTxt(options.SecurityTxt, errors);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidatePorts(GatewayOptions options, List<string> errors)
    {
        if (options.HttpsPort is < 1 or > 65535)
        {
            errors.Add("Gateway:HttpsPort is required and must be between 1 and 65535.");
        }

        if (options.InternalPort is < 1 or > 65535)
        {
            errors.Add("Gateway:InternalPort is required and must be between 1 and 65535.");
        }
        else if (options.InternalPort == options.HttpsPort)
        {
            errors.Add("Gateway:InternalPort must differ from Gateway:HttpsPort: health probes never share the public listener.");
        }
    }

    private static void ValidateCertificate(GatewayOptions options, List<string> errors)
    {
        var certificate = options.Certificate;
        var hasCertificate = !string.IsNullOrWhiteSpace(certificate.Path);
        var hasDevelopmentCertificate = !string.IsNullOrWhiteSpace(options.DevelopmentCertificatePath);

        if (hasCertificate && hasDevelopmentCertificate)
        {
            errors.Add("Gateway:DevelopmentCertificatePath must not be set together with Gateway:Certificate:Path.");
        }
        else if (!hasCertificate && !hasDevelopmentCertificate)
        {
            errors.Add("Gateway:Certificate:Path (or, for local development, Gateway:DevelopmentCertificatePath) is required.");
        }

        if (hasCertificate && !File.Exists(certificate.Path))
        {
            errors.Add($"Gateway:Certificate:Path '{certificate.Path}' does not exist.");
        }

        if (!string.IsNullOrWhiteSpace(certificate.KeyPath))
        {
            if (!hasCertificate)
            {
                errors.Add("Gateway:Certificate:KeyPath is set but Gateway:Certificate:Path is not.");
            }
            else if (!File.Exists(certificate.KeyPath))
            {
                errors.Add($"Gateway:Certificate:KeyPath '{certificate.KeyPath}' does not exist.");
            }
        }

        if (certificate.ReloadCheckInterval <= TimeSpan.Zero)
        {
            errors.Add("Gateway:Certificate:ReloadCheckInterval must be positive.");
        }
    }

    // RFC 9116 section 2.5: Contact and Expires are required; Contact, Encryption and Policy are URIs, https when
    // they are web URIs (sections 2.5.3, 2.5.4, 2.5.7); Expires is an RFC 3339 date and time (section 2.5.5).
    private static void ValidateSecurityTxt(SecurityTxtOptions securityTxt, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(securityTxt.Contact))
        {
            return;
        }

        if (!SecurityTxtFields.TryParseExpires(securityTxt.Expires, out _))
        {
            errors.Add("Gateway:SecurityTxt:Expires is required with Contact and must be an ISO 8601 date and time "
                + "such as 2027-12-31T23:59:59Z (RFC 9116 section 2.5.5, RFC 3339 section 5.6).");
        }

        ValidateUri("Contact", securityTxt.Contact, errors);
        ValidateUri("Policy", securityTxt.Policy, errors);
        ValidateUri("Encryption", securityTxt.Encryption, errors);
    }

    private static void ValidateUri(string field, string? value, List<string> errors)
    {
        if (!string.IsNullOrWhiteSpace(value) && SecurityTxtFields.UriProblem(field, value) is { } problem)
        {
            errors.Add(problem);
        }
    }
}
