// An independent verifier of the audit log, written from RFC 9162 (§2.1: Merkle tree hashing, inclusion and
// consistency verification) and C2SP signed-note / tlog-checkpoint, with node's own crypto only.
// Input (stdin, JSON): { keys: [verifierKey], older: note, newer: note, consistency: [b64],
//                        inclusion: { eventId, leafIndex, treeSize, leafData: b64, auditPath: [b64] } }
// Prints {"ok":true,...} and exits 0, or prints the reason and exits 1.
import { createHash, createPublicKey, verify } from 'node:crypto';

const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (data) => sha256(Buffer.from([0x00]), data);
const nodeHash = (l, r) => sha256(Buffer.from([0x01]), l, r);
const fail = (reason) => { console.log(JSON.stringify({ ok: false, reason })); process.exit(1); };

// C2SP signed-note: verifier key "<name>+<hex key hash>+<base64(0x01 ‖ Ed25519 public key)>";
// key hash = first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
function parseKey(vkey) {
  const [name, hash, ...rest] = vkey.split('+');
  const blob = rest.join('+'); // base64 may itself hold '+'
  const raw = Buffer.from(blob, 'base64');
  if (raw.length !== 33 || raw[0] !== 0x01) fail(`not an Ed25519 verifier key: ${vkey}`);
  const expected = sha256(Buffer.from(name + '\n'), raw.subarray(0, 33)).subarray(0, 4);
  if (expected.toString('hex') !== hash) fail(`key hash of ${name} does not match its key`);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') }, format: 'jwk' });
  return { name, id: expected, key };
}

// A note is text (ending in "\n"), an empty line, then signature lines "— <name> <base64(key id ‖ signature)>".
function openNote(note, keys) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) fail('malformed note');
  const text = note.slice(0, split + 1);
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) fail(`malformed signature line: ${line}`);
    const sig = Buffer.from(m[2], 'base64');
    for (const k of keys) {
      if (k.name === m[1] && sig.length === 68 && k.id.equals(sig.subarray(0, 4))
          && verify(null, Buffer.from(text, 'utf8'), k.key, sig.subarray(4))) return text;
    }
  }
  fail('no valid signature by a known key');
}

// C2SP tlog-checkpoint: origin, decimal tree size, base64 root hash, then optional extension lines.
function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) fail('malformed checkpoint');
  const root = Buffer.from(lines[2], 'base64');
  if (root.length !== 32 || root.toString('base64') !== lines[2]) fail('malformed root hash');
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

// RFC 9162 §2.1.3.2
function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1n, r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) while (!((fn & 1n) === 1n || fn === 0n)) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

// RFC 9162 §2.1.4.2
function verifyConsistency(first, second, firstHash, secondHash, proof) {
  if (first === second) return proof.length === 0 && firstHash.equals(secondHash);
  if (first === 0n || first > second || proof.length === 0) return false;
  if ((first & (first - 1n)) === 0n) proof = [firstHash, ...proof];
  let fn = first - 1n, sn = second - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = proof[0], sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr); sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) while (!((fn & 1n) === 1n || fn === 0n)) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0n;
}

// The leaf data (services/audit/README.md): fields of 0x00, or 0x01 ‖ uint32be length ‖ bytes; the first is the
// format version, the second the event id.
function leafFields(data) {
  const fields = [];
  for (let at = 0; at < data.length;) {
    if (data[at] === 0) { fields.push(null); at += 1; continue; }
    if (data[at] !== 1 || at + 5 > data.length) fail('malformed leaf data');
    const length = data.readUInt32BE(at + 1);
    fields.push(data.subarray(at + 5, at + 5 + length).toString('utf8'));
    at += 5 + length;
  }
  return fields;
}

const input = JSON.parse(await new Promise((resolve) => { let s = ''; process.stdin.on('data', (d) => { s += d; }); process.stdin.on('end', () => resolve(s)); }));
const keys = input.keys.map(parseKey);
const older = parseCheckpoint(openNote(input.older, keys));
const newer = parseCheckpoint(openNote(input.newer, keys));
if (older.origin !== newer.origin) fail('checkpoints of different logs');
const b64 = (list) => list.map((h) => Buffer.from(h, 'base64'));
if (!verifyConsistency(older.size, newer.size, older.root, newer.root, b64(input.consistency))) fail('consistency proof does not verify');

const inc = input.inclusion;
const data = Buffer.from(inc.leafData, 'base64');
const fields = leafFields(data);
if (fields[0] !== 'platform.dev/audit-leaf/v1' || fields[1] !== inc.eventId) fail('leaf data is not that entry');
if (BigInt(inc.treeSize) !== newer.size) fail('inclusion proof is not against the newer checkpoint');
if (!verifyInclusion(BigInt(inc.leafIndex), newer.size, leafHash(data), b64(inc.auditPath), newer.root)) fail('inclusion proof does not verify');
console.log(JSON.stringify({ ok: true, origin: newer.origin, older: older.size.toString(), newer: newer.size.toString() }));
