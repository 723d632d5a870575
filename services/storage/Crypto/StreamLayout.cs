namespace Platform.Storage.Crypto;

/// <summary>
/// Where things are in an encrypted object: a <see cref="StreamHeader.Size"/>-byte header, then segments of
/// <c>segmentSize</c> plaintext bytes plus a 16-byte tag each; the last segment may be shorter, even empty (a 0-byte
/// object is one empty last segment).
/// </summary>
internal readonly record struct StreamLayout(long PlaintextLength, int SegmentSize)
{
    public const int TagBytes = Aead.TagBytes;

    public long SegmentCount => PlaintextLength == 0 ? 1 : (PlaintextLength + SegmentSize - 1) / SegmentSize;

    public long CiphertextLength => StreamHeader.Size + PlaintextLength + (SegmentCount * TagBytes);

    public long SegmentOffset(long index) => StreamHeader.Size + (index * (SegmentSize + (long)TagBytes));

    public int SegmentPlaintextLength(long index) =>
        index < SegmentCount - 1 ? SegmentSize : (int)(PlaintextLength - ((SegmentCount - 1) * SegmentSize));

    public bool IsLast(long index) => index == SegmentCount - 1;

    /// <summary>Segment counters are 32 bits in the nonce; an object may not need more.</summary>
    public bool FitsCounter => SegmentCount <= uint.MaxValue;
}
