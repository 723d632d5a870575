using Microsoft.Extensions.Options;

namespace Platform.Gateway.Tests;

public sealed class GatewayOptionsValidatorTests : IDisposable
{
    private readonly string _certificateFile = Path.GetTempFileName();

    [Fact]
    public void Complete_configuration_passes()
    {
        var result = Validate(Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var options = Valid();
        options.HttpsPort = 0;
        options.InternalPort = 70000;
        options.BindAddress = "my-host";
        options.TrustedProxies = ["10.0.0.0/8", "not-a-range"];
        options.Certificate.Path = "/nonexistent/server.pem";
        options.Certificate.ReloadCheckInterval = TimeSpan.Zero;
        options.SecurityTxt.Expires = "next year";
        options.SecurityTxt.Policy = "http://example.com/policy";

        var failures = Failures(options);

        Assert.Contains("Gateway:HttpsPort is required and must be between 1 and 65535.", failures);
        Assert.Contains("Gateway:InternalPort is required and must be between 1 and 65535.", failures);
        Assert.Contains("Gateway:BindAddress 'my-host' is not an IPv4 or IPv6 address (or 'localhost' for both loopbacks).", failures);
        Assert.Contains(failures, failure => failure.Contains("'not-a-range'", StringComparison.Ordinal));
        Assert.Contains("Gateway:DevelopmentCertificatePath must not be set together with Gateway:Certificate:Path.", failures);
        Assert.Contains("Gateway:Certificate:Path '/nonexistent/server.pem' does not exist.", failures);
        Assert.Contains("Gateway:Certificate:ReloadCheckInterval must be positive.", failures);
        Assert.Contains(failures, failure => failure.StartsWith("Gateway:SecurityTxt:Expires", StringComparison.Ordinal));
        Assert.Contains(failures, failure => failure.StartsWith("Gateway:SecurityTxt:Policy must use https", StringComparison.Ordinal));
        Assert.Equal(9, failures.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Port_out_of_range_is_rejected(int port)
    {
        var https = Valid();
        https.HttpsPort = port;
        var @internal = Valid();
        @internal.InternalPort = port;

        Assert.Equal(["Gateway:HttpsPort is required and must be between 1 and 65535."], Failures(https));
        Assert.Equal(["Gateway:InternalPort is required and must be between 1 and 65535."], Failures(@internal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65535)]
    public void Ports_at_the_ends_of_the_range_are_accepted(int port)
    {
        var options = Valid();
        options.HttpsPort = port;

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Equal_ports_are_rejected_because_probes_never_share_the_public_listener()
    {
        var options = Valid();
        options.InternalPort = options.HttpsPort;

        var failure = Assert.Single(Failures(options));
        Assert.StartsWith("Gateway:InternalPort must differ from Gateway:HttpsPort", failure);
    }

    [Theory]
    [InlineData("my-host")]
    [InlineData("")]
    [InlineData("256.0.0.1")]
    [InlineData("example.com")]
    public void Bind_address_that_is_not_an_IP_address_is_rejected(string address)
    {
        var options = Valid();
        options.BindAddress = address;

        Assert.Equal([$"Gateway:BindAddress '{address}' is not an IPv4 or IPv6 address (or 'localhost' for both loopbacks)."], Failures(options));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    [InlineData("::")]
    [InlineData("::1")]
    public void IPv4_and_IPv6_bind_addresses_are_accepted(string address)
    {
        var options = Valid();
        options.BindAddress = address;

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Both_certificate_sources_together_are_rejected()
    {
        var options = Valid();
        options.Certificate.Path = _certificateFile;

        Assert.Equal(["Gateway:DevelopmentCertificatePath must not be set together with Gateway:Certificate:Path."], Failures(options));
    }

    [Fact]
    public void Neither_certificate_source_is_rejected()
    {
        var options = Valid();
        options.DevelopmentCertificatePath = null;

        Assert.Equal(["Gateway:Certificate:Path (or, for local development, Gateway:DevelopmentCertificatePath) is required."], Failures(options));
    }

    [Fact]
    public void Certificate_path_alone_is_accepted()
    {
        var options = Valid();
        options.DevelopmentCertificatePath = null;
        options.Certificate.Path = _certificateFile;
        options.Certificate.KeyPath = _certificateFile;

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Key_path_without_certificate_path_is_rejected()
    {
        var options = Valid();
        options.Certificate.KeyPath = _certificateFile;

        Assert.Equal(["Gateway:Certificate:KeyPath is set but Gateway:Certificate:Path is not."], Failures(options));
    }

    [Fact]
    public void Key_path_that_does_not_exist_is_rejected()
    {
        var options = Valid();
        options.DevelopmentCertificatePath = null;
        options.Certificate.Path = _certificateFile;
        options.Certificate.KeyPath = "/nonexistent/server.key";

        Assert.Equal(["Gateway:Certificate:KeyPath '/nonexistent/server.key' does not exist."], Failures(options));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("next year")]
    [InlineData("31/12/2027")]
    [InlineData("2027-13-01T00:00:00Z")]
    [InlineData("12/31/2027")]
    [InlineData("Fri, 31 Dec 2027 23:59:59 GMT")]
    [InlineData("2027-12-31")]
    [InlineData("2027-12-31T23:59:59")]
    public void Security_txt_expires_that_is_not_an_ISO_8601_date_is_rejected(string? expires)
    {
        var options = Valid();
        options.SecurityTxt.Expires = expires;

        var failure = Assert.Single(Failures(options));
        Assert.StartsWith("Gateway:SecurityTxt:Expires is required with Contact and must be an ISO 8601 date and time", failure);
    }

    [Theory]
    [InlineData("2027-12-31T23:59:59Z")]
    [InlineData("2027-12-31T23:59:59+01:00")]
    [InlineData("2027-12-31T23:59:59.5Z")]
    [InlineData("2027-12-31T23:59:59.123456-05:00")]
    public void Security_txt_expires_in_ISO_8601_is_accepted(string expires)
    {
        var options = Valid();
        options.SecurityTxt.Expires = expires;

        Assert.Empty(Failures(options));
    }

    [Theory]
    [InlineData("Contact", "http://example.com/report")]
    [InlineData("Policy", "http://example.com/policy")]
    [InlineData("Encryption", "http://example.com/pgp-key.txt")]
    [InlineData("Policy", "HTTP://EXAMPLE.COM/policy")]
    public void Security_txt_web_URI_over_plain_http_is_rejected(string field, string value)
    {
        var options = Valid();
        Set(options.SecurityTxt, field, value);

        Assert.Equal([$"Gateway:SecurityTxt:{field} must use https, not http (RFC 9116 section 2.5)."], Failures(options));
    }

    [Theory]
    [InlineData("Contact", "security@example.com")]
    [InlineData("Policy", "example.com/policy")]
    [InlineData("Policy", "/security/policy")]
    [InlineData("Encryption", "file:///etc/pgp-key.txt")]
    [InlineData("Encryption", "ftp://example.com/pgp-key.txt")]
    [InlineData("Policy", "mailto:security@example.com")]
    [InlineData("Contact", "https://example.com/report\nPolicy: https://evil.example/")]
    public void Security_txt_field_that_is_not_an_absolute_URI_of_an_allowed_scheme_is_rejected(string field, string value)
    {
        var options = Valid();
        Set(options.SecurityTxt, field, value);

        Assert.Single(Failures(options));
    }

    [Theory]
    [InlineData("mailto:security@example.com")]
    [InlineData("tel:+1-201-555-0123")]
    [InlineData("https://example.com/security")]
    public void Security_txt_contact_as_mailto_tel_or_https_is_accepted(string contact)
    {
        var options = Valid();
        options.SecurityTxt.Contact = contact;

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Security_txt_fields_are_not_checked_when_there_is_no_contact()
    {
        var options = Valid();
        options.SecurityTxt = new SecurityTxtOptions { Expires = "never", Policy = "http://example.com/policy" };

        Assert.Empty(Failures(options));
    }

    public void Dispose() => File.Delete(_certificateFile);

    private static ValidateOptionsResult Validate(GatewayOptions options) => new GatewayOptionsValidator().Validate(Options.DefaultName, options);

    private static List<string> Failures(GatewayOptions options) => [.. Validate(options).Failures ?? []];

    private static GatewayOptions Valid() => new()
    {
        HttpsPort = 8443,
        InternalPort = 8081,
        BindAddress = "127.0.0.1",
        DevelopmentCertificatePath = "/tmp/gateway-tests/development-certificate.pfx",
        TrustedProxies = ["10.0.0.0/8", "fd00::/8"],
        SecurityTxt = new SecurityTxtOptions
        {
            Contact = "mailto:security@example.com",
            Expires = "2027-12-31T23:59:59Z",
            Policy = "https://example.com/security/policy",
            Encryption = "https://example.com/security/pgp-key.txt",
        },
    };

    private static void Set(SecurityTxtOptions securityTxt, string field, string value)
    {
        switch (field)
        {
            case "Contact": securityTxt.Contact = value; break;
            case "Policy": securityTxt.Policy = value; break;
            case "Encryption": securityTxt.Encryption = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(field), field, "Not a security.txt field.");
        }
    }
}
