using Platform.Storage;
using Platform.Storage.Apis;
using Platform.Security.Closure;
using Platform.Storage.Residency;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStorageServices();

var app = builder.Build();
if (!app.ValidateConfiguration()) return 1;

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseClosingOrganizationGuard();
app.MapDatasetsApi();
app.MapTransitApi();
app.MapTransitSealsApi();
app.MapKeyManagementApi();
app.MapInternalDatasetsApi();
app.MapHeldDatasetsApi();
app.MapInventoryApi();
app.MapResidencyFenceApi();

app.Run();
return 0;

public partial class Program;
