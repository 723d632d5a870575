// An independent verifier of residency leak-scan reports, written from C2SP signed-note with node's own crypto
// (nothing of the platform's code): reads {"keys": ["name+hash+base64"], "note": "..."} on stdin, checks the Ed25519
// signature by one of the keys, and prints the report's verdict. Exit 0: verified; 1: not.
import { createHash, createPublicKey, verify } from 'node:crypto';

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => { text += chunk; });
  process.stdin.on('end', () => resolve(text));
}));

function parseKey(text) {
  // name+hash+base64: the base64 may itself hold '+'.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  const [name, hash, blob] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  const raw = Buffer.from(blob, 'base64');
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error('not an Ed25519 verifier key');
  const expected = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n', 'utf8'), raw])).digest().subarray(0, 4);
  if (expected.toString('hex') !== hash) throw new Error('key hash mismatch');
  // SubjectPublicKeyInfo for Ed25519 (RFC 8410): the fixed prefix, then the 32-byte key.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw.subarray(1)]);
  return { name, hash: expected, key: createPublicKey({ key: spki, format: 'der', type: 'spki' }) };
}

const keys = input.keys.map(parseKey);
const note = input.note;
const split = note.lastIndexOf('\n\n');
if (split < 0 || !note.endsWith('\n')) { console.log(JSON.stringify({ verified: false, reason: 'not a signed note' })); process.exit(1); }
const text = note.slice(0, split + 1);
let signedBy = null;
for (const line of note.slice(split + 2).split('\n').filter((l) => l.length > 0)) {
  const [dash, name, b64] = line.split(' ');
  if (dash !== '\u2014' || !b64) continue;
  const blob = Buffer.from(b64, 'base64');
  if (blob.length !== 68) continue;
  for (const key of keys) {
    if (key.name === name && key.hash.equals(blob.subarray(0, 4)) && verify(null, Buffer.from(text, 'utf8'), key.key, blob.subarray(4))) signedBy = name;
  }
}

const lines = text.split('\n');
if (!signedBy || lines.length !== 3 || lines[0] !== 'platform.dev/residency-scan/v1') {
  console.log(JSON.stringify({ verified: false, reason: 'no valid signature by the given keys' }));
  process.exit(1);
}

const report = JSON.parse(lines[1]);
console.log(JSON.stringify({ verified: true, signedBy, organizationId: report.organizationId, clean: report.clean, leaks: report.leaks }));
