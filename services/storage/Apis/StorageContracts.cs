namespace Platform.Storage.Apis;

public sealed record CreateDatasetRequest(string Name);

public sealed record DatasetResponse(string Id, string Name, string Region, string Environment, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>An object's metadata: never its data key, wrapped or not.</summary>
public sealed record ObjectResponse(
    string Id, string DatasetId, string Name, string DataClass, long Size, string ContentType, int KeyVersion, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A page of a list; <c>next</c> is the cursor for the following page, absent on the last one.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

public sealed record DatasetDeletedResponse(string Id, int ObjectsDeleted);
