using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using ISession = Net.Pkcs11Interop.HighLevelAPI.ISession;
using Platform.Storage.Crypto;

namespace Platform.Storage.Keys;

/// <summary>
/// Root key in an HSM, reached over PKCS#11 (tested against SoftHSM2): an AES-256 secret key object that is
/// sensitive and not extractable, used with CKM_AES_GCM (PKCS#11 v2.40 section 2.12.3). Our nonce is generated here
/// and passed in, so the wrapped form is the same as the file provider's: nonce ‖ ciphertext ‖ tag.
/// Each organization has its own key object in the token (label <c>KeyLabel:organization</c>, same attributes),
/// generated on first use and destroyed by a crypto-shred: no copy of the database can be unwrapped afterwards.
/// </summary>
internal sealed class Pkcs11RootKeyProvider : IRootKeyProvider
{
    private readonly Pkcs11InteropFactories factories = new();
    private readonly IPkcs11Library library;
    private readonly ISession session;
    private readonly IObjectHandle key;
    private readonly string keyLabel;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IObjectHandle> organizationKeys = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    static Pkcs11RootKeyProvider()
    {
        // Pkcs11Interop binds dlopen from "libdl", which glibc 2.34+ ships only as libdl.so.2 (libdl.so comes with
        // libc6-dev). The resolver is per assembly and set once, here.
        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, assembly, path) =>
            name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
    }

    public Pkcs11RootKeyProvider(Pkcs11Options options)
    {
        library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.LibraryPath, AppType.MultiThreaded);
        try
        {
            var slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.GetTokenInfo().Label == options.TokenLabel)
                ?? throw new InvalidOperationException($"No PKCS#11 token is labelled '{options.TokenLabel}'.");
            session = slot.OpenSession(SessionType.ReadWrite);
            session.Login(CKU.CKU_USER, options.Pin);
            keyLabel = options.KeyLabel;
            key = FindOrCreateKey(options.KeyLabel, options.CreateKeyIfMissing)
                ?? throw new InvalidOperationException($"No PKCS#11 secret key is labelled '{options.KeyLabel}'.");
            Name = $"pkcs11:{options.TokenLabel}/{options.KeyLabel}";
        }
        catch
        {
            library.Dispose();
            throw;
        }
    }

    public string Name { get; }

    public byte[] Wrap(ReadOnlySpan<byte> plaintextKey, ReadOnlySpan<byte> associatedData) => Wrap(key, plaintextKey, associatedData);

    public byte[]? Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData) => Unwrap(key, wrapped, associatedData);

    public byte[] WrapForOrganization(string organizationId, ReadOnlySpan<byte> plaintextKey, ReadOnlySpan<byte> associatedData) =>
        Wrap(OrganizationKey(organizationId, create: true)!, plaintextKey, associatedData);

    public byte[]? UnwrapForOrganization(string organizationId, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData) =>
        Unwrap(OrganizationKey(organizationId, create: false) ?? throw new KeyUnavailableException(KeyUnavailableReason.Destroyed), wrapped, associatedData);

    public bool DestroyOrganizationKey(string organizationId)
    {
        lock (gate)
        {
            organizationKeys.TryRemove(organizationId, out _);
            var found = Find(OrganizationLabel(organizationId));
            foreach (var handle in found) session.DestroyObject(handle);
            return found.Count > 0;
        }
    }

    private IObjectHandle? OrganizationKey(string organizationId, bool create)
    {
        if (organizationKeys.TryGetValue(organizationId, out var cached)) return cached;
        lock (gate)
        {
            if (organizationKeys.TryGetValue(organizationId, out cached)) return cached;
            var handle = FindOrCreateKey(OrganizationLabel(organizationId), create);
            if (handle is not null) organizationKeys[organizationId] = handle;
            return handle;
        }
    }

    private string OrganizationLabel(string organizationId) => $"{keyLabel}:{organizationId}";

    private byte[] Wrap(IObjectHandle wrappingKey, ReadOnlySpan<byte> plaintextKey, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(Aead.NonceBytes);
        byte[] sealedKey;
        lock (gate)
        {
            sealedKey = session.Encrypt(Gcm(nonce, associatedData), wrappingKey, plaintextKey.ToArray());
        }

        return [.. nonce, .. sealedKey];
    }

    private byte[]? Unwrap(IObjectHandle wrappingKey, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData)
    {
        if (wrapped.Length < Aead.Overhead) return null;
        var nonce = wrapped[..Aead.NonceBytes].ToArray();
        try
        {
            lock (gate)
            {
                return session.Decrypt(Gcm(nonce, associatedData), wrappingKey, wrapped[Aead.NonceBytes..].ToArray());
            }
        }
        catch (Pkcs11Exception exception) when (exception.RV is CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR)
        {
            // The token's way of saying the tag did not verify: not wrapped by this root key, or altered.
            return null;
        }
    }

    private IMechanism Gcm(byte[] nonce, ReadOnlySpan<byte> associatedData)
    {
        var parameters = factories.MechanismParamsFactory.CreateCkGcmParams(nonce, (ulong)nonce.Length * 8, associatedData.ToArray(), Aead.TagBytes * 8);
        return factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
    }

    private List<IObjectHandle> Find(string label)
    {
        var attributes = factories.ObjectAttributeFactory;
        return session.FindAllObjects([
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_LABEL, label),
        ]);
    }

    private IObjectHandle? FindOrCreateKey(string label, bool create)
    {
        var attributes = factories.ObjectAttributeFactory;
        var found = Find(label);
        if (found.Count == 1) return found[0];
        if (found.Count > 1) throw new InvalidOperationException($"More than one PKCS#11 secret key is labelled '{label}'.");
        if (!create) return null;

        return session.GenerateKey(factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN), [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            attributes.Create(CKA.CKA_VALUE_LEN, (ulong)Aead.KeyBytes),
            attributes.Create(CKA.CKA_LABEL, label),
            attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, true),
            attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, false),
            attributes.Create(CKA.CKA_ENCRYPT, true),
            attributes.Create(CKA.CKA_DECRYPT, true),
        ]);
    }

    public void Dispose()
    {
        lock (gate)
        {
            session.Logout();
            session.Dispose();
            library.Dispose();
        }
    }
}
