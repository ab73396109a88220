// Operator tool for signing-key rotation (see docs/operations.md).
//   node scripts/signing-keys.mjs new                 → a fresh JWK set with one ES256 key
//   node scripts/signing-keys.mjs add  < current.json → the set with a new key appended (verifies only)
//   node scripts/signing-keys.mjs promote < set.json  → the last key moved first (it signs from now on)
//   node scripts/signing-keys.mjs retire < set.json   → the set without its last key
// Output is the JSON to store with `wrangler secret put SIGNING_KEYS --env production`.
import { readFileSync } from 'node:fs';
import { generateSigningKeySet } from './dev-secrets.mjs';

const command = process.argv[2];
const readSet = () => {
  const set = JSON.parse(readFileSync(0, 'utf8'));
  if (!Array.isArray(set.keys) || set.keys.length === 0)
    throw new Error('stdin must be a JWK set with at least one key');
  return set;
};
const kid = () => `key-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;

let out;
if (command === 'new') {
  out = await generateSigningKeySet(kid());
} else if (command === 'add') {
  const set = readSet();
  const fresh = await generateSigningKeySet(kid());
  out = { keys: [...set.keys, ...fresh.keys] };
} else if (command === 'promote') {
  const set = readSet();
  out = { keys: [set.keys.at(-1), ...set.keys.slice(0, -1)] };
} else if (command === 'retire') {
  const set = readSet();
  if (set.keys.length < 2) throw new Error('refusing to retire the only key');
  out = { keys: set.keys.slice(0, -1) };
} else {
  console.error('usage: node scripts/signing-keys.mjs new|add|promote|retire');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
