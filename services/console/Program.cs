using Platform.SecurityConsole;
using Platform.SecurityConsole.Pages;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConsoleServices();

var app = builder.Build();
if (!app.ValidateConfiguration()) return 1;

// TLS ends at the gateway, the console's only way in: every request is the public https address (Console:PublicUrl),
// for Secure cookies, anti-forgery and the OpenID Connect redirect URI.
app.UsePublicAddress();
app.UseExceptionHandler("/console/error");
app.MapDefaultEndpoints();
app.UseStaticFiles(new StaticFileOptions { RequestPath = "/console/static", OnPrepareResponse = StaticAssets.Headers });
app.UseAuthentication();
app.UseAuthorization();

// Every POST of the console passes the anti-forgery check first; every page needs a console session.
var forms = app.MapGroup("").AddEndpointFilter(Guard.AntiforgeryFilter);
app.MapSessionPages(forms);
var organization = forms.MapGroup("/console/o/{org}").RequireAuthorization();
organization.MapOverviewPage();
organization.MapKeysPage();
organization.MapMembersPage();
organization.MapNetworkPage();
organization.MapAuditPage();
organization.MapSecretsPage();
organization.MapClientsPage();
organization.MapSecurityPage();
organization.MapGovernancePages();
organization.MapRetentionPage();
app.MapErrorPage();

app.Run();
return 0;

public partial class Program;
