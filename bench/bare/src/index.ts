/**
 * The ceiling: answers each workload's response body with no auth and no parsing. The bodies are
 * the ones Gatehouse actually sent for the same requests, captured by the harness and handed in
 * through vars (see bench/run.mjs), so every target sends the same bytes back.
 */
interface Env {
  BODIES: string;
}

interface Canned {
  status: number;
  headers: Record<string, string>;
  body: string;
}

let canned: Map<string, Canned> | undefined;

export default {
  fetch(request: Request, env: Env): Response {
    canned ??= new Map(Object.entries(JSON.parse(env.BODIES) as Record<string, Canned>));
    const hit = canned.get(new URL(request.url).pathname);
    if (!hit) return new Response('Not found', { status: 404 });
    return new Response(hit.body, { status: hit.status, headers: hit.headers });
  },
};
