using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

/// <summary>A provisioned user as stored: the resource as last written (schema names, no id or meta) and its columns.</summary>
internal sealed record ScimUserRow(string UserId, string UserName, string? ExternalId, bool Active, JsonObject Resource, long Version,
    DateTimeOffset Created, DateTimeOffset Updated, bool CreatedAccount);

/// <summary>A group as stored, with its members' user ids.</summary>
internal sealed record ScimGroupRow(string Id, string DisplayName, string? ExternalId, long Version, DateTimeOffset Created, DateTimeOffset Updated,
    IReadOnlyList<string> Members);

/// <summary>A member of a group as shown in it: the id and a display name.</summary>
internal sealed record ScimMemberView(string UserId, string Display);

/// <summary>One page of a list (RFC 7644 section 3.4.2.4).</summary>
internal sealed record ScimPage<T>(long Total, int StartIndex, IReadOnlyList<T> Items);
