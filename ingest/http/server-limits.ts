// Socket-level limits for the HTTP listener that carries the journal endpoint (and the API):
// a client that trickles its request (slowloris) is cut off instead of holding a socket forever.
import type { ServerOptions } from 'node:http';

export interface HttpTimeouts {
  /** Time to receive the whole header section. Real clients send it in one packet. */
  headersMs: number;
  /**
   * Time to receive the whole request, body included. It is one value for the whole server (node
   * has no per-route setting), so it is sized for the journal: a 64 MiB message at a slow 256 KiB/s
   * takes about 260 s; Node's own default, 300 s, is kept.
   */
  requestMs: number;
}

/** Options for http(s).createServer. */
export function httpServerLimits(t: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    // Node checks the two timeouts above only this often (default 30 s): at most a quarter of
    // the headers timeout, so a slowloris socket is closed close to when its time is up.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(t.headersMs / 4))),
    // Node's 16 KiB default, stated: a bigger header section is answered 431 (RFC 6585 5).
    maxHeaderSize: 16 * 1024,
  };
}
