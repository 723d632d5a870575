using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Storage.Tests.Infrastructure;

/// <summary>The calls tests make, as a client of the public and internal APIs would.</summary>
public static class StorageApi
{
    public static string NewOrganization() => "org_t" + Guid.NewGuid().ToString("N")[..20];

    public static async Task<string> CreateDatasetAsync(this HttpClient client, string organization, string name = "dataset")
    {
        var response = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    public static string ObjectPath(string organization, string dataset, string name) =>
        $"/v1/organizations/{organization}/datasets/{dataset}/objects/{name}";

    public static Task<HttpResponseMessage> PutObjectAsync(this HttpClient client, string organization, string dataset, string name, byte[] bytes, string dataClass = "image") =>
        client.PutObjectAsync(organization, dataset, name, new MemoryStream(bytes), bytes.Length, dataClass);

    public static Task<HttpResponseMessage> PutObjectAsync(
        this HttpClient client, string organization, string dataset, string name, Stream body, long length, string dataClass = "image")
    {
        var content = new StreamContent(body, 64 * 1024);
        content.Headers.ContentLength = length;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return client.PutAsync($"{ObjectPath(organization, dataset, name)}?dataClass={dataClass}", content);
    }

    public static async Task<byte[]> GetObjectBytesAsync(this HttpClient client, string organization, string dataset, string name)
    {
        var response = await client.GetAsync(ObjectPath(organization, dataset, name));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        Assert.True(status == response.StatusCode, $"Expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
