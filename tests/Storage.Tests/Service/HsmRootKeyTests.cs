using System.Net;
using System.Net.Http.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>The whole hierarchy with the root key in an HSM (SoftHSM2 over PKCS#11), as a deployment runs it.</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class HsmRootKeyTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task With_the_root_key_in_SoftHSM_objects_and_transit_round_trip()
    {
        using var hsm = await SoftHsm.CreateAsync();
        var organization = StorageApi.NewOrganization();
        await using (var service = fixture.Create(new Dictionary<string, string?>
        {
            ["Storage:RootKey:Provider"] = "Pkcs11",
            ["Storage:RootKey:Pkcs11:LibraryPath"] = hsm.LibraryPath,
            ["Storage:RootKey:Pkcs11:TokenLabel"] = SoftHsm.TokenLabel,
            ["Storage:RootKey:Pkcs11:Pin"] = SoftHsm.UserPin,
            ["Storage:RootKey:Pkcs11:KeyLabel"] = "storage-root",
            ["Storage:RootKey:Pkcs11:CreateKeyIfMissing"] = "true",
        }))
        {
            var client = fixture.Gateway(organization, service: service);
            var dataset = await client.CreateDatasetAsync(organization);
            var plaintext = PatternStream.Bytes(200_000, 8);
            await (await client.PutObjectAsync(organization, dataset, "hsm.bin", plaintext)).JsonAsync(HttpStatusCode.Created);
            Assert.Equal(plaintext, await client.GetObjectBytesAsync(organization, dataset, "hsm.bin"));

            var operatorClient = fixture.ServiceClient(service: service);
            var encrypted = await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = "AQIDBA==" })).JsonAsync();
            var decrypted = await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext = encrypted.GetProperty("ciphertext").GetString() })).JsonAsync();
            Assert.Equal("AQIDBA==", decrypted.GetProperty("plaintext").GetString());

            var status = await (await operatorClient.GetAsync($"/internal/v1/organizations/{organization}/keys")).JsonAsync();
            // Wrapped by the organization's own key object in the token, which a crypto-shred destroys.
            Assert.Equal("pkcs11:platform-test/storage-root/organization", status.GetProperty("versions")[0].GetProperty("rootKey").GetString());

            // An instance with another root key (the fixture's key file) cannot read what the HSM root wrapped.
            var problem = await fixture.Gateway(organization).GetAsync(StorageApi.ObjectPath(organization, dataset, "hsm.bin"));
            Assert.Equal(HttpStatusCode.InternalServerError, problem.StatusCode);

            // Leave nothing that the fixture's own instance would try to rotate or rewrap.
            await (await operatorClient.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
                new { confirm = organization, requestedBy = "test", reason = "cleanup" })).JsonAsync();
        }
    }
}
