// A minimal Chrome DevTools protocol client for the Worker's isolate, through the inspector port that
// `wrangler dev --inspector-port` opens (the runtime's own V8 inspector, proxied by wrangler). Used by
// the load run to sample the isolate's heap (`Runtime.getHeapUsage`) and to take heap snapshots
// (`HeapProfiler.takeHeapSnapshot`) while the load goes on. Needs Node ≥ 22 (global WebSocket).
import { createWriteStream } from 'node:fs';

/** The websocket address of the Worker's isolate: the first target wrangler lists. */
async function debuggerUrl(port) {
  const res = await fetch(`http://127.0.0.1:${port}/json`);
  const targets = await res.json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${port}`);
  return target.webSocketDebuggerUrl;
}

export async function connectInspector(port) {
  // wrangler's inspector proxy accepts only local origins (undici's WebSocket takes extra headers).
  const ws = new WebSocket(await debuggerUrl(port), { headers: { origin: 'http://localhost' } });
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error('inspector websocket failed')), { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data));
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else {
      listeners.get(msg.method)?.(msg.params);
    }
  });
  const send = (method, params = {}, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (fn) => (value) => {
        clearTimeout(timer);
        fn(value);
      };
      pending.set(id, { resolve: settle(resolve), reject: settle(reject), method });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    /** V8's used and total heap of the isolate, in bytes. */
    heapUsage: () => send('Runtime.getHeapUsage', {}, 4000),
    /** Writes a .heapsnapshot (open it in Chrome DevTools › Memory, or summarise with bench/load/heap-summary.mjs). */
    async takeHeapSnapshot(file) {
      const out = createWriteStream(file);
      listeners.set('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => out.write(chunk));
      try {
        await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        listeners.delete('HeapProfiler.addHeapSnapshotChunk');
        await new Promise((resolve) => out.end(resolve));
      }
    },
    close: () => ws.close(),
  };
}
