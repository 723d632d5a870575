namespace Platform.Hosting;

/// <summary>A resource could not be installed, started or made healthy; the message names the resource and the cause.</summary>
public sealed class DistributedApplicationException(string message, Exception? inner = null) : Exception(message, inner);
