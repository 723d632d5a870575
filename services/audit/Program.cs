using Platform.Audit;
using Platform.Audit.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAuditServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapAuditApi();
app.MapAuditLogApi();
app.MapDeadLetterApi();
app.MapSiemApi();
app.MapRetentionApi();

app.Run();

public partial class Program;
