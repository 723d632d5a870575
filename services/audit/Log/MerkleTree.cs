using System.Numerics;
using System.Security.Cryptography;

namespace Platform.Audit.Log;

/// <summary>
/// RFC 9162 (RFC 6962) Merkle tree hashing: leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right), and the
/// inclusion (PATH) and consistency (SUBPROOF) proofs of RFC 9162 §2.1.3 and §2.1.4 over stored complete subtrees.
/// </summary>
internal static class MerkleTree
{
    public const int HashSize = 32;

    public static byte[] LeafHash(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 1;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The hash of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>
    /// Appends a leaf to a tree of <paramref name="size"/> leaves whose complete subtrees on the right edge are
    /// <paramref name="frontier"/> (largest first), in O(log n): every subtree that the leaf completes is reported.
    /// </summary>
    public static void Append(List<byte[]> frontier, long size, byte[] leafHash, Action<int, long, byte[]> completed)
    {
        completed(0, size, leafHash);
        var hash = leafHash;
        var index = size;
        var level = 0;
        while ((index & 1) == 1)
        {
            hash = NodeHash(frontier[^1], hash);
            frontier.RemoveAt(frontier.Count - 1);
            index >>= 1;
            level++;
            completed(level, index, hash);
        }

        frontier.Add(hash);
    }

    /// <summary>The root of a tree from its right-edge complete subtrees (largest first).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> frontier)
    {
        if (frontier.Count == 0) return EmptyRoot();
        var hash = frontier[^1];
        for (var i = frontier.Count - 2; i >= 0; i--) hash = NodeHash(frontier[i], hash);
        return hash;
    }

    /// <summary>The complete subtrees (level, index) that make a tree of <paramref name="size"/> leaves' right edge, largest first.</summary>
    public static List<(int Level, long Index)> Frontier(long size)
    {
        var nodes = new List<(int, long)>();
        for (var level = 62; level >= 0; level--)
        {
            if (((size >> level) & 1) == 1) nodes.Add((level, (size >> level) - 1));
        }

        return nodes;
    }

    /// <summary>The largest power of two smaller than <paramref name="n"/> (n &gt; 1).</summary>
    public static long Split(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>MTH of leaves [start, start + size), from stored complete subtrees (level, index).</summary>
    public static byte[] RangeHash(long start, long size, Func<int, long, byte[]> node)
    {
        if (BitOperations.IsPow2(size) && start % size == 0)
        {
            var level = BitOperations.Log2((ulong)size);
            return node(level, start >> level);
        }

        var k = Split(size);
        return NodeHash(RangeHash(start, k, node), RangeHash(start + k, size - k, node));
    }

    /// <summary>RFC 9162 §2.1.3.1 PATH(m, D[n]): the audit path of leaf <paramref name="m"/> in a tree of <paramref name="n"/> leaves.</summary>
    public static List<byte[]> InclusionProof(long m, long n, Func<int, long, byte[]> node) => Path(m, 0, n, node);

    private static List<byte[]> Path(long m, long start, long n, Func<int, long, byte[]> node)
    {
        if (n == 1) return [];
        var k = Split(n);
        List<byte[]> path;
        if (m < k)
        {
            path = Path(m, start, k, node);
            path.Add(RangeHash(start + k, n - k, node));
        }
        else
        {
            path = Path(m - k, start + k, n - k, node);
            path.Add(RangeHash(start, k, node));
        }

        return path;
    }

    /// <summary>RFC 9162 §2.1.4.1 PROOF(m, D[n]) for 0 &lt; m ≤ n.</summary>
    public static List<byte[]> ConsistencyProof(long m, long n, Func<int, long, byte[]> node) => m == n ? [] : SubProof(m, 0, n, true, node);

    private static List<byte[]> SubProof(long m, long start, long n, bool complete, Func<int, long, byte[]> node)
    {
        if (m == n) return complete ? [] : [RangeHash(start, n, node)];
        var k = Split(n);
        List<byte[]> proof;
        if (m <= k)
        {
            proof = SubProof(m, start, k, complete, node);
            proof.Add(RangeHash(start + k, n - k, node));
        }
        else
        {
            proof = SubProof(m - k, start + k, n - k, false, node);
            proof.Add(RangeHash(start, k, node));
        }

        return proof;
    }

    /// <summary>
    /// Runs a proof twice: once to learn which stored subtrees it reads, then (after <paramref name="load"/> fetched
    /// them in one query) for real.
    /// </summary>
    public static async Task<T> WithNodesAsync<T>(Func<Func<int, long, byte[]>, T> proof, Func<IReadOnlyCollection<(int Level, long Index)>, Task<IReadOnlyDictionary<(int, long), byte[]>>> load)
    {
        var wanted = new HashSet<(int, long)>();
        var zero = new byte[HashSize];
        proof((level, index) => { wanted.Add((level, index)); return zero; });
        var nodes = await load(wanted);
        return proof((level, index) => nodes.TryGetValue((level, index), out var hash)
            ? hash
            : throw new InvalidDataException($"The log has no stored subtree at level {level}, index {index}."));
    }
}
