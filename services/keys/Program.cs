using Platform.Keys;
using Platform.Keys.Apis;
using Platform.Security.Closure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddKeysServices();

var app = builder.Build();
if (!app.ValidateConfiguration()) return 1;

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseClosingOrganizationGuard();
app.MapKeysApi();
app.MapInternalKeysApi();
app.MapNetworkPolicyApi();
app.MapInternalNetworkPolicyApi();
app.MapSecretsApi();
app.MapSecretRevealApi();

app.Run();
return 0;

public partial class Program;
