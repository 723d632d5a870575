using Microsoft.EntityFrameworkCore;

namespace Platform.Identity.Data;

/// <summary>OpenIddict's EF Core stores (applications, authorizations, scopes, tokens), in schema <c>oidc</c>.</summary>
internal sealed class OidcDbContext(DbContextOptions<OidcDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema("oidc");
        modelBuilder.UseOpenIddict();
        base.OnModelCreating(modelBuilder);
    }
}
