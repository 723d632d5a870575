using System.Text;
using Platform.Keys.Model;

namespace Platform.Keys.Secrets;

/// <summary>What a secret's name and value may be (SPEC KEY-SECRETS). Errors describe the rule, never echo the input.</summary>
internal static class SecretRules
{
    public const int MaxNameLength = 64;
    public const int MaxValueBytes = 8 * 1024;

    private static readonly UTF8Encoding strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>1 to 64 of <c>a-z</c>, <c>0-9</c>, <c>-</c> and <c>_</c>.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    public static void Name(string? name, ValidationErrors errors)
    {
        if (!IsValidName(name)) errors.Add("name", $"A secret name is 1 to {MaxNameLength} lower-case letters, digits, '-' or '_'.");
    }

    /// <summary>The value as UTF-8, or null with the reason in <paramref name="errors"/>: non-empty, at most 8 KiB, well-formed text.</summary>
    public static byte[]? Value(string? value, ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Add("value", "The value is required and cannot be empty.");
            return null;
        }

        // The UTF-8 length is at least the number of UTF-16 units: no need to encode a value that is plainly too long.
        if (value.Length > MaxValueBytes)
        {
            errors.Add("value", $"The value has at most {MaxValueBytes} bytes of UTF-8.");
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = strictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            errors.Add("value", "The value is not well-formed Unicode text (it has an unpaired surrogate).");
            return null;
        }

        if (bytes.Length > MaxValueBytes)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
            errors.Add("value", $"The value has at most {MaxValueBytes} bytes of UTF-8.");
            return null;
        }

        return bytes;
    }
}
