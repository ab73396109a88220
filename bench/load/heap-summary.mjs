// Summarises a V8 .heapsnapshot (as written by `LOAD_HEAP_SNAPSHOTS=… npm run bench:load`): the total,
// and the largest groups of objects by self size, grouped as DevTools' "Summary" view groups them
// (constructor or node type). Usage: node bench/load/heap-summary.mjs file.heapsnapshot [top=20]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/load/heap-summary.mjs <file.heapsnapshot> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 20);
const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8'));
const fields = snapshot.meta.node_fields;
const types = snapshot.meta.node_types[fields.indexOf('type')];
const stride = fields.length;
const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));

const groups = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += stride) {
  const type = types[nodes[i + typeAt]];
  const size = nodes[i + sizeAt];
  total += size;
  // Objects group by constructor name; strings, code, arrays and the rest by their node type.
  const key = type === 'object' || type === 'native' ? strings[nodes[i + nameAt]] : `(${type})`;
  const g = groups.get(key) ?? { count: 0, size: 0 };
  g.count += 1;
  g.size += size;
  groups.set(key, g);
}

const kib = (n) => (n / 1024).toFixed(0).padStart(7);
console.log(`${file}: ${nodes.length / stride} objects, ${(total / 1024 / 1024).toFixed(1)} MiB self size`);
console.log('    KiB    count  group');
for (const [key, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
  console.log(`${kib(g.size)} ${String(g.count).padStart(8)}  ${key.slice(0, 80)}`);
}
