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
/// </summary>
internal sealed class Pkcs11RootKeyProvider : IRootKeyProvider
{
    private readonly Pkcs11InteropFactories factories = new();
    private readonly IPkcs11Library library;
    private readonly ISession session;
    private readonly IObjectHandle key;
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
            key = FindOrCreateKey(options);
            Name = $"pkcs11:{options.TokenLabel}/{options.KeyLabel}";
        }
        catch
        {
            library.Dispose();
            throw;
        }
    }

    public string Name { get; }

    public byte[] Wrap(ReadOnlySpan<byte> plaintextKey, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(Aead.NonceBytes);
        byte[] sealedKey;
        lock (gate)
        {
            sealedKey = session.Encrypt(Gcm(nonce, associatedData), key, plaintextKey.ToArray());
        }

        return [.. nonce, .. sealedKey];
    }

    public byte[]? Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData)
    {
        if (wrapped.Length < Aead.Overhead) return null;
        var nonce = wrapped[..Aead.NonceBytes].ToArray();
        try
        {
            lock (gate)
            {
                return session.Decrypt(Gcm(nonce, associatedData), key, wrapped[Aead.NonceBytes..].ToArray());
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

    private IObjectHandle FindOrCreateKey(Pkcs11Options options)
    {
        var attributes = factories.ObjectAttributeFactory;
        var found = session.FindAllObjects([
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_LABEL, options.KeyLabel),
        ]);
        if (found.Count == 1) return found[0];
        if (found.Count > 1) throw new InvalidOperationException($"More than one PKCS#11 secret key is labelled '{options.KeyLabel}'.");
        if (!options.CreateKeyIfMissing) throw new InvalidOperationException($"No PKCS#11 secret key is labelled '{options.KeyLabel}'.");

        return session.GenerateKey(factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN), [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            attributes.Create(CKA.CKA_VALUE_LEN, (ulong)Aead.KeyBytes),
            attributes.Create(CKA.CKA_LABEL, options.KeyLabel),
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
