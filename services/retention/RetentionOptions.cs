namespace Platform.Retention;

/// <summary>The <c>Retention</c> section; checked at start-up by <see cref="RetentionOptionsValidator"/>.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// Who sets organizations' plans (identity has no plan yet): <c>Retention:Operators:N:Name|Token|Organizations|Networks</c>,
    /// on direct calls only; an organization "*" means every organization.
    /// </summary>
    public List<RetentionOperator> Operators { get; set; } = [];

    /// <summary>Retention's credential at storage's internal API (<c>Storage:ServiceTokens</c>): checks that a held dataset exists.</summary>
    public string StorageToken { get; set; } = "";
}

public sealed class RetentionOperator
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the operator may call from, directly; none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];
}
