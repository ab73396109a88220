// A closed-loop keep-alive HTTP load generator: `connections` loops, each with its own socket,
// each sending its next request as soon as the previous answer is read. Bounded by time and by
// count. Every response's status is checked; the body of every `sampleEvery`-th response (and of
// every response of a stateful workload) goes through the workload's `verify`.
import http from 'node:http';

const MAX_REQUESTS = 5_000_000;

export function send(agent, url, req) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: req.method, headers: req.headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    r.setTimeout(10_000, () => r.destroy(new Error('request timed out')));
    r.on('error', reject);
    r.end(req.body);
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * @param {object} w
 * @param {string} w.base origin, e.g. http://127.0.0.1:8787
 * @param {(state: object) => {path: string, method: string, headers: object, body?: string}} w.request
 * @param {(body: string, headers: object, state: object) => string | undefined} w.verify
 *   returns an error description, or undefined when the answer is right
 * @param {number} w.expectStatus
 * @param {object[]} [w.states] one state object per connection (e.g. a refresh-token chain)
 * @param {boolean} [w.verifyAll] verify every answer (cheap or stateful checks), not a sample
 */
export async function runLoad(w, { connections, durationMs, sampleEvery = 10 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const latencies = [];
  let errors = 0;
  const errorSamples = [];
  let count = 0;
  const noteError = (msg) => {
    errors += 1;
    if (errorSamples.length < 5) errorSamples.push(msg);
  };
  const start = performance.now();
  const end = start + durationMs;
  async function loop(i) {
    const state = w.states?.[i] ?? {};
    while (performance.now() < end && count < MAX_REQUESTS) {
      count += 1;
      const req = w.request(state);
      const t0 = performance.now();
      let res;
      try {
        res = await send(agent, `${w.base}${req.path}`, req);
      } catch (err) {
        noteError(String(err?.message ?? err));
        continue;
      }
      latencies.push(performance.now() - t0);
      if (res.status !== w.expectStatus) {
        noteError(`status ${res.status}: ${res.body.slice(0, 200)}`);
        continue;
      }
      if (w.verifyAll || count % sampleEvery === 0) {
        const problem = w.verify(res.body, res.headers, state);
        if (problem) noteError(problem);
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, (_, i) => loop(i)));
  const elapsed = performance.now() - start;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds: elapsed / 1000,
    rps: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    errors,
    errorSamples,
  };
}
