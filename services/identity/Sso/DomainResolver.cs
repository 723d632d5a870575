using DnsClient;

namespace Platform.Identity.Sso;

/// <summary>Reads a domain's TXT records: DNS in production; tests register their own records instead.</summary>
public interface IDomainTxtResolver
{
    Task<IReadOnlyList<string>> TxtRecordsAsync(string name, CancellationToken cancellationToken);
}

/// <summary>TXT records from the system's DNS resolvers (DnsClient).</summary>
internal sealed class DnsTxtResolver : IDomainTxtResolver
{
    private readonly LookupClient lookup = new(new LookupClientOptions { UseCache = false, Timeout = TimeSpan.FromSeconds(5), Retries = 1 });

    public async Task<IReadOnlyList<string>> TxtRecordsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await lookup.QueryAsync(name, QueryType.TXT, cancellationToken: cancellationToken);
            return response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList();
        }
        catch (DnsResponseException)
        {
            return [];
        }
    }
}
