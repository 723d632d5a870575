using Platform.Retention;
using Platform.Retention.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRetentionServices();

var app = builder.Build();
if (!app.ValidateConfiguration()) return 1;

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapPoliciesApi();
app.MapHoldsApi();
app.MapPlansApi();
app.MapReceiptsApi();
app.MapBackupsApi();
app.MapClosureApi();
app.MapSubjectRequestsApi();

app.Run();
return 0;

public partial class Program;
