using System.Buffers.Text;
using System.Text;
using Platform.Keys.Model;

namespace Platform.Keys.Apis;

/// <summary>Where a page of keys ended (newest first, by id). Opaque to clients: base64url of a versioned id.</summary>
internal static class KeyCursor
{
    private const string Version = "v1:";

    public static string Encode(string lastKeyId) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Version + lastKeyId));

    public static bool TryDecode(string? cursor, out string? lastKeyId)
    {
        lastKeyId = null;
        if (cursor is not { Length: > 0 and <= 128 } || !Base64Url.IsValid(cursor)) return false;
        var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
        if (!text.StartsWith(Version, StringComparison.Ordinal) || !KeyIds.IsWellFormed(text[Version.Length..])) return false;
        lastKeyId = text[Version.Length..];
        return true;
    }
}
