using System.Diagnostics;
using RabbitMQ.Client;

namespace Platform.Messaging.Transport;

/// <summary>
/// One message ready for the wire. <see cref="Activity"/>, when there is one, is the producer span: it ends when
/// the broker's confirm (or the failure) arrives. <see cref="Mandatory"/>: a message no queue takes is returned
/// and counts as not published (<see cref="IntegrationEventAttribute.MustBeRouted"/>).
/// </summary>
internal sealed record OutgoingMessage(
    string RoutingKey, BasicProperties Properties, ReadOnlyMemory<byte> Body, Activity? Activity = null, bool Mandatory = false)
{
    public string Describe() => Properties.MessageId ?? "(no message id)";
}
