using Platform.Gateway;
using Platform.Gateway.Residency;
using Platform.Gateway.SecurityTxt;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

// Every configuration error at once, on stderr, before anything below reads an option or makes a certificate.
if (!app.ValidateConfiguration()) return 1;

app.UseGatewayPipeline();

// Probes are answered on the internal listener only; the public one returns 404 for them.
app.MapDefaultEndpoints(onlyOnPort: app.InternalPort());
app.MapSecurityTxt();
app.MapReverseProxy(proxy => proxy.UseProxyPipelineWithRegions());

app.Run();
return 0;
