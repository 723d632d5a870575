using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Security.Authentication;

/// <summary>A request with more than one credential: never authenticated, refused with 400 <c>multiple-credentials</c>.</summary>
public sealed class MultipleCredentialsHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Fail("More than one credential."));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        PlatformProblems.WriteAsync(Context, 400, "multiple-credentials", "More than one credential",
            "Send exactly one credential: an API key, an access token or an operator credential, once.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => HandleChallengeAsync(properties);
}
