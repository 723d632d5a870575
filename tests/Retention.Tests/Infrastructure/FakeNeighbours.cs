using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace Platform.Retention.Tests.Infrastructure;

/// <summary>
/// Storage's internal dataset lookup and identity's members API as retention calls them, answering from what a test
/// registered (the real services answer end to end in Platform.IntegrationTests). Records what was asked, so a test
/// can see that the caller's own token went to identity and retention's storage credential to storage.
/// </summary>
public sealed class FakeNeighbours
{
    private readonly ConcurrentDictionary<(string Organization, string Dataset), bool> datasets = new();
    private readonly ConcurrentDictionary<(string Organization, string User), bool> members = new();

    public ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

    public void AddDataset(string organization, string dataset) => datasets[(organization, dataset)] = true;

    public void AddMember(string organization, string user) => members[(organization, user)] = true;

    public HttpMessageHandler Storage() => new Handler(this, request =>
    {
        // /internal/v1/organizations/{org}/datasets/{ds}
        var parts = request.RequestUri!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts is ["internal", "v1", "organizations", var organization, "datasets", var dataset] && datasets.ContainsKey((organization, dataset))
            ? Json(new { id = dataset, organizationId = organization, environment = "live" })
            : new HttpResponseMessage(HttpStatusCode.NotFound);
    });

    public HttpMessageHandler Identity() => new Handler(this, request =>
    {
        var parts = request.RequestUri!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not ["v1", "organizations", var organization, "members"]) return new HttpResponseMessage(HttpStatusCode.NotFound);
        var items = members.Keys.Where(m => m.Organization == organization).Select(m => new { userId = m.User, email = $"{m.User}@example.com", role = "Developer", mfaEnrolled = false });
        return Json(new { items });
    });

    private static HttpResponseMessage Json(object body) => new(HttpStatusCode.OK) { Content = JsonContent.Create(body) };

    private sealed class Handler(FakeNeighbours owner, Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            owner.Requests.Enqueue(request);
            return Task.FromResult(answer(request));
        }
    }
}
