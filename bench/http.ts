// A minimal keep-alive HTTP/1.1 client on node:http that reports when the first body byte arrived. node:http costs
// less per request than fetch, which matters here: the client shares its event loop with the emulator.
import { Agent, request as httpRequest } from "node:http";
import { performance } from "node:perf_hooks";

export interface Timed {
  status: number;
  /** ms from sending the request until the first body chunk (or the end, for an empty body). */
  firstByteMs: number;
  /** ms from sending the request until the body ended. */
  totalMs: number;
  bytes: number;
  /** The body as text, only when asked for (`keepBody`) or not a 200, so long streams are not held in memory. */
  body?: string;
}

export interface SendOptions {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  keepBody?: boolean;
}

export class KeepAliveClient {
  readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets = 128) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    // Enough pooled sockets for the 64-client phase; idle ones stay open so no request pays for a TCP handshake.
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: "lifo" });
  }

  send(opts: SendOptions): Promise<Timed> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
    return new Promise<Timed>((resolve, reject) => {
      const t0 = performance.now();
      const req = httpRequest({ host: this.host, port: this.port, method: opts.method, path: opts.path, headers, agent: this.agent }, (res) => {
        let first = -1;
        let bytes = 0;
        const parts: Buffer[] = [];
        // Error bodies are always kept: they explain a failed run.
        const keep = opts.keepBody === true || res.statusCode !== 200;
        res.on("data", (chunk: Buffer) => {
          if (first < 0) first = performance.now() - t0;
          bytes += chunk.length;
          if (keep) parts.push(chunk);
        });
        res.on("end", () => {
          const totalMs = performance.now() - t0;
          const timed: Timed = { status: res.statusCode ?? 0, firstByteMs: first < 0 ? totalMs : first, totalMs, bytes };
          if (keep) timed.body = Buffer.concat(parts).toString("utf8");
          resolve(timed);
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(opts.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Throws with the start of the body when a benchmark request did not succeed. */
export async function expectOk(p: Promise<Timed>, what: string): Promise<Timed> {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}${r.body ? `: ${r.body.slice(0, 300)}` : ""}`);
  return r;
}
