// A loopback proxy for clients without an Authorization option (the conformance suite): it adds
// `Authorization: Bearer <token>` and passes everything else through unchanged — Host and Origin
// included, so the server's DNS-rebinding checks see what the client sent.
import { createServer, request as httpRequest } from 'node:http';

/**
 * Listens on 127.0.0.1:`port` and forwards every request to `target`'s origin.
 * @returns {Promise<import('node:http').Server>}
 */
export function startTokenProxy(port, target, token) {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    // A client that gives up (an SSE stream it closes) ends the forwarded request too.
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
