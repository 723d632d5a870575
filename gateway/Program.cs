using Platform.Gateway;
using Platform.Gateway.SecurityTxt;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseGatewayPipeline();

// Probes are answered on the internal listener only; the public one returns 404 for them.
app.MapDefaultEndpoints(requireHost: app.InternalListenerHost());
app.MapSecurityTxt();
app.MapReverseProxy();

app.Run();
