using System.Buffers;

namespace Platform.Gateway.RequestIds;

/// <summary>Request ids: <c>req_</c> and a version 7 UUID (time-ordered), or a well-formed id from a trusted hop.</summary>
internal static class RequestId
{
    public const string Header = "X-Request-Id";
    public const int MaxLength = 128;

    // Letters, digits and a few separators: safe in logs, headers, URLs and SQL text without escaping.
    private static readonly SearchValues<char> allowed = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    public static string New() => "req_" + Guid.CreateVersion7().ToString("N");

    public static bool IsWellFormed(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && !value.AsSpan().ContainsAnyExcept(allowed);
}
