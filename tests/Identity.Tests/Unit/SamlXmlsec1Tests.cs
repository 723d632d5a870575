using Platform.Identity.Sso.Saml;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Unit;

/// <summary>
/// The same responses signed by Debian's xmlsec1 (libxmlsec1 on OpenSSL), a signer that shares no code with .NET's
/// SignedXml: a valid one is accepted, and every hostile one is refused with the same reason as when .NET signs it.
/// </summary>
public sealed class SamlXmlsec1Tests : IAsyncLifetime, IDisposable
{
    private const string Sp = "https://sp.example/sso/saml/sso_0123";
    private const string Acs = Sp + "/acs";
    private readonly SamlTestIdp idp = new();
    private readonly DateTimeOffset now = DateTimeOffset.UtcNow;

    public async Task InitializeAsync() => await Xmlsec1.EnsureAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => idp.Dispose();

    private SamlExpectations Expect() => new(Sp, Acs, idp.EntityId, [idp.Certificate], now, TimeSpan.FromMinutes(2));

    public static TheoryData<string> Attacks() => new(SamlAttacks.All.Select(a => a.Name));

    [Theory]
    [InlineData(true, false, true)]
    [InlineData(true, true, true)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    public void A_response_signed_by_xmlsec1_is_accepted(bool signAssertion, bool signResponse, bool wantAssertionsSigned)
    {
        SamlTestIdp.WithXmlsec1.Value = true;
        var document = idp.Response(new SamlAnswer("alice@corp.test", Sp, Acs, "_req1", now) { SignAssertion = signAssertion, SignResponse = signResponse });
        var (assertion, reason) = SamlResponseValidator.Validate(SamlTestIdp.Encode(document), Expect() with { WantAssertionsSigned = wantAssertionsSigned });
        Assert.Null(reason);
        Assert.Equal("alice@corp.test", assertion!.Email);
    }

    [Fact]
    public void A_response_signed_by_xmlsec1_on_the_response_alone_is_refused_where_assertions_must_be_signed()
    {
        SamlTestIdp.WithXmlsec1.Value = true;
        var document = idp.Response(new SamlAnswer("alice@corp.test", Sp, Acs, "_req1", now) { SignAssertion = false, SignResponse = true });
        Assert.Equal("saml-assertion-not-signed", SamlResponseValidator.Validate(SamlTestIdp.Encode(document), Expect()).Reason);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void A_hostile_response_signed_by_xmlsec1_is_refused_with_its_reason(string name)
    {
        SamlTestIdp.WithXmlsec1.Value = true;
        var attack = SamlAttacks.All.Single(a => a.Name == name);
        var (assertion, reason) = SamlResponseValidator.Validate(attack.Build(idp, new SamlAnswer("mallory@corp.test", Sp, Acs, "_req1", now), "victim@corp.test"), Expect());
        Assert.Null(assertion);
        Assert.Equal(attack.Reason, reason);
    }
}
