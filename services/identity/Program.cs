using Platform.Identity;
using Platform.Identity.Apis;
using Platform.Identity.Oidc;
using Platform.Identity.Pages;
using Platform.Identity.Scim;
using Platform.Identity.Sessions;
using Platform.Identity.Sso;
using Platform.Identity.Sso.Saml;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddIdentityServices();

var app = builder.Build();
if (!app.ValidateConfiguration()) return 1;

app.UseTrustedForwardedScheme();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapDefaultEndpoints();
app.MapSessionApi();
app.MapMySessionsApi();
app.MapMyAccountApi();
app.MapOrganizationsApi();
app.MapOidc();
app.MapAccountPages();
app.MapOidcPages();
app.MapOrganizationChoicePages();
app.MapInvitationPages();
app.MapSsoApi();
app.MapSsoPages();
app.MapSamlApi();
app.MapSamlPages();
app.MapScim();

app.Run();
return 0;

public partial class Program;
