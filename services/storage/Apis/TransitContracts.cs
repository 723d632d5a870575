namespace Platform.Storage.Apis;

/// <summary>Base64 plaintext; the context (optional) must be given again, identical, to decrypt.</summary>
public sealed record EncryptRequest(string Plaintext, Dictionary<string, string>? Context = null);

public sealed record EncryptResponse(string Ciphertext, int KeyVersion);

public sealed record DecryptRequest(string Ciphertext, Dictionary<string, string>? Context = null);

public sealed record DecryptResponse(string Plaintext);

public sealed record GenerateDataKeyRequest(Dictionary<string, string>? Context = null);

/// <summary>A fresh 256-bit data key: <c>plaintext</c> to use now and forget, <c>ciphertext</c> to store.</summary>
public sealed record GenerateDataKeyResponse(string Plaintext, string Ciphertext, int KeyVersion);

public sealed record RewrapRequest(string Ciphertext, Dictionary<string, string>? Context = null);

public sealed record RotateResponse(int Version);

public sealed record KeyPolicyRequest(int? RotationPeriodDays = null, int? MinDecryptionVersion = null);

public sealed record RewrapObjectsResponse(int Rewrapped);

/// <summary>Crypto-shredding asks for the organization id again in <c>confirm</c>: it cannot be undone.</summary>
public sealed record DestroyKeysRequest(string Confirm, string RequestedBy, string Reason);
