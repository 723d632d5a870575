namespace Platform.Keys;

/// <summary>The <c>Keys</c> section; checked at start-up by <see cref="KeysOptionsValidator"/>.</summary>
public sealed class KeysOptions
{
    public const string Section = "Keys";

    /// <summary>Base64 of at least 32 random bytes: the HMAC key of every stored key hash. Never in the database.</summary>
    public string Pepper { get; set; } = "";

    /// <summary>
    /// Who may manage keys, until identity exists: <c>Keys:Administrators:N:Name|Token|Organizations</c>; an
    /// organization "*" means every organization.
    /// </summary>
    public List<KeyAdministrator> Administrators { get; set; } = [];

    /// <summary>Bearer credentials of the services (the gateway) that call <c>/internal/v1/keys/*</c>.</summary>
    public List<string> ServiceTokens { get; set; } = [];
}

public sealed class KeyAdministrator
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the administrator may call from, directly (<c>…:Networks:N</c>); none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];

    public bool MayManage(string organizationId) => Organizations.Contains("*") || Organizations.Contains(organizationId);
}
