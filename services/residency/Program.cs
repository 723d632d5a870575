using Platform.Residency;
using Platform.Residency.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddResidencyServices();

var app = builder.Build();
if (!app.ValidateConfiguration()) return 1;

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapRegionsApi();
app.MapOrganizationResidencyApi();
app.MapInternalResidencyApi();
app.MapScanApi();

app.Run();
return 0;

public partial class Program;
