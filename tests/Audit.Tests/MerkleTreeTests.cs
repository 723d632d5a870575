using System.Security.Cryptography;
using Platform.Audit.Log;

namespace Platform.Audit.Tests;

/// <summary>The tree against RFC 9162's recursive definitions, and its proofs against RFC 9162's verification algorithms.</summary>
public sealed class MerkleTreeTests
{
    private static readonly byte[][] Leaves = Enumerable.Range(0, 70).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToArray();

    [Fact]
    public void Hashes_are_domain_separated_as_rfc_6962_defines()
    {
        Assert.Equal(SHA256.HashData([0x00, 0x61]), MerkleTree.LeafHash("a"u8));
        Assert.Equal(SHA256.HashData([0x01, .. Leaves[0], .. Leaves[1]]), MerkleTree.NodeHash(Leaves[0], Leaves[1]));
        // RFC 6962's empty tree: the hash of the empty string.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleTree.EmptyRoot()));
    }

    [Fact]
    public void Appending_keeps_the_root_of_the_recursive_definition_and_stores_every_complete_subtree()
    {
        var frontier = new List<byte[]>();
        var nodes = new Dictionary<(int, long), byte[]>();
        for (var n = 0; n < Leaves.Length; n++)
        {
            MerkleTree.Append(frontier, n, Leaves[n], (level, index, hash) => nodes.Add((level, index), hash));
            Assert.Equal(Mth(Leaves.AsSpan(0, n + 1).ToArray()), MerkleTree.Root(frontier));
            Assert.True(frontier.Count <= 7);
        }

        Assert.Equal(Mth(Leaves.AsSpan(0, 64).ToArray()), nodes[(6, 0)]);
    }

    [Fact]
    public void Every_inclusion_and_consistency_proof_verifies_and_a_changed_one_does_not()
    {
        var nodes = new Dictionary<(int, long), byte[]>();
        var frontier = new List<byte[]>();
        for (var n = 0; n < Leaves.Length; n++) MerkleTree.Append(frontier, n, Leaves[n], (level, index, hash) => nodes.Add((level, index), hash));
        byte[] Node(int level, long index) => nodes[(level, index)];

        for (var size = 1; size <= Leaves.Length; size++)
        {
            var root = Mth(Leaves[..size]);
            for (var m = 0; m < size; m++)
            {
                var path = MerkleTree.InclusionProof(m, size, Node);
                Assert.True(Rfc9162.VerifyInclusion(m, size, Leaves[m], path, root), $"inclusion {m} of {size}");
                if (path.Count > 0) Assert.False(Rfc9162.VerifyInclusion(m, size, Leaves[(m + 1) % size], path, root));
            }

            for (var first = 1; first <= size; first++)
            {
                var proof = MerkleTree.ConsistencyProof(first, size, Node);
                Assert.True(Rfc9162.VerifyConsistency(first, size, Mth(Leaves[..first]), root, proof), $"consistency {first} to {size}");
                if (first < size) Assert.False(Rfc9162.VerifyConsistency(first, size, Mth(Leaves[1..(first + 1)]), root, proof));
            }
        }
    }

    /// <summary>RFC 9162 §2.1.1 MTH, recursively.</summary>
    internal static byte[] Mth(byte[][] leaves)
    {
        if (leaves.Length == 0) return SHA256.HashData([]);
        if (leaves.Length == 1) return leaves[0];
        var k = 1;
        while (k * 2 < leaves.Length) k *= 2;
        return MerkleTree.NodeHash(Mth(leaves[..k]), Mth(leaves[k..]));
    }
}

/// <summary>RFC 9162 §2.1.3.2 and §2.1.4.2, as written there.</summary>
internal static class Rfc9162
{
    public static bool VerifyInclusion(long index, long size, byte[] leaf, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (index >= size) return false;
        long fn = index, sn = size - 1;
        var r = leaf;
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleTree.NodeHash(p, r);
                if ((fn & 1) == 0) while (!((fn & 1) == 1 || fn == 0)) { fn >>= 1; sn >>= 1; }
            }
            else
            {
                r = MerkleTree.NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    public static bool VerifyConsistency(long first, long second, byte[] firstHash, byte[] secondHash, IReadOnlyList<byte[]> proof)
    {
        if (first == second) return proof.Count == 0 && firstHash.AsSpan().SequenceEqual(secondHash);
        if (first == 0 || first > second || proof.Count == 0) return false;
        var path = (first & (first - 1)) == 0 ? [firstHash, .. proof] : proof.ToList();
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleTree.NodeHash(c, fr);
                sr = MerkleTree.NodeHash(c, sr);
                if ((fn & 1) == 0) while (!((fn & 1) == 1 || fn == 0)) { fn >>= 1; sn >>= 1; }
            }
            else
            {
                sr = MerkleTree.NodeHash(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return fr.AsSpan().SequenceEqual(firstHash) && sr.AsSpan().SequenceEqual(secondHash) && sn == 0;
    }
}
