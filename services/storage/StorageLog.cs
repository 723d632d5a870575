namespace Platform.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Object {ObjectId} failed its integrity check ({Reason}); nothing of it was returned")]
    public static partial void IntegrityFailure(ILogger logger, string objectId, string reason);
}
