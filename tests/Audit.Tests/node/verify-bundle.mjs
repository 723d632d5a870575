// An independent verifier of an audit export bundle, written from RFC 9162 §2.1 (Merkle tree hash) and C2SP
// signed-note / tlog-checkpoint, with node's own crypto only. Usage: node verify-bundle.mjs <bundle> <verifier key>…
// Checks the checkpoint's Ed25519 signature, then that the entries' leaf data (with the subtrees standing for a
// pruned prefix) make the root it commits to. Prints {"ok":true,...} and exits 0, or the reason and exits 1.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (data) => sha256(Buffer.from([0x00]), data);
const nodeHash = (l, r) => sha256(Buffer.from([0x01]), l, r);
const fail = (reason) => { console.log(JSON.stringify({ ok: false, reason })); process.exit(1); };

// signed-note: key hash = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
function parseKey(vkey) {
  const [name, hash, ...rest] = vkey.split('+');
  const raw = Buffer.from(rest.join('+'), 'base64');
  if (raw.length !== 33 || raw[0] !== 0x01) fail(`not an Ed25519 verifier key: ${vkey}`);
  const id = sha256(Buffer.from(name + '\n'), raw).subarray(0, 4);
  if (id.toString('hex') !== hash) fail(`key hash of ${name} does not match its key`);
  return { name, id, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') }, format: 'jwk' }) };
}

function openNote(note, keys) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) fail('malformed note');
  const text = note.slice(0, split + 1);
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) continue;
    const sig = Buffer.from(m[2], 'base64');
    for (const k of keys) {
      if (k.name === m[1] && sig.length === 68 && k.id.equals(sig.subarray(0, 4))
          && verify(null, Buffer.from(text, 'utf8'), k.key, sig.subarray(4))) return text;
    }
  }
  fail('no valid signature by a known key');
}

// MTH(D[n]) (RFC 9162 §2.1.1) over leaf hashes, the first `start` leaves given as the complete subtrees of the
// binary decomposition of start, largest first: the left subtree of n leaves has the largest power of two below n.
function rootOf(prefix, start, leaves) {
  const n = start + leaves.length;
  const pow2 = (k) => { let p = 1n; while (p * 2n < k) p *= 2n; return p; };
  const prefixAt = new Map();
  let offset = 0n;
  for (let bit = 62n; bit >= 0n; bit--) {
    const size = 1n << bit;
    if ((BigInt(start) & size) !== 0n) { prefixAt.set(`${offset}:${size}`, prefix.shift()); offset += size; }
  }
  const mth = (from, size) => {
    if (prefixAt.has(`${from}:${size}`)) return prefixAt.get(`${from}:${size}`);
    if (size === 1n) {
      const leaf = leaves[Number(from) - start];
      if (!leaf) fail(`leaf ${from} is missing`);
      return leaf;
    }
    const k = pow2(size);
    return nodeHash(mth(from, k), mth(from + k, size - k));
  };
  return n === 0 ? sha256(Buffer.alloc(0)) : mth(0n, BigInt(n));
}

const [bundlePath, ...vkeys] = process.argv.slice(2);
const keys = vkeys.map(parseKey);
const lines = readFileSync(bundlePath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
const header = lines[0];
const text = openNote(header.checkpoint, keys).split('\n');
const size = Number(text[1]);
const root = Buffer.from(text[2], 'base64');
const start = Number(header.start);
const leaves = new Array(size - start);
for (const line of lines.slice(1)) {
  if (line.leaves !== undefined || line.leafIndex === null) continue;
  const data = Buffer.from(line.leafData, 'base64');
  // Leaf data: fields 0x00 | 0x01 || uint32be length || bytes; the second is the event id.
  let at = 0;
  const fields = [];
  while (at < data.length && fields.length < 2) {
    const length = data.readUInt32BE(at + 1);
    fields.push(data.subarray(at + 5, at + 5 + length).toString('utf8'));
    at += 5 + length;
  }
  if (fields[1] !== line.eventId) fail(`leaf data of ${line.eventId} names another event`);
  if (leaves[line.leafIndex - start]) fail(`two entries claim leaf ${line.leafIndex}`);
  leaves[line.leafIndex - start] = leafHash(data);
}
const computed = rootOf(header.prefix.map((h) => Buffer.from(h, 'base64')), start, leaves);
if (!computed.equals(root)) fail('the entries do not make the signed root');
console.log(JSON.stringify({ ok: true, origin: text[0], treeSize: size, start }));
