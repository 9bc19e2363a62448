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

  /**
   * Node's documented keep-alive race: a server may close an idle pooled connection just as a request is written to
   * it, and the request fails with ECONNRESET before any answer. Such a request never reached the handler, so it is
   * sent once more on a new connection; the count is printed with the report, so a server that really drops
   * requests still shows.
   */
  static resentAfterReset = 0;

  async send(opts: SendOptions): Promise<Timed> {
    try {
      return await this.sendOnce(opts);
    } catch (err) {
      if (!(err instanceof StaleSocketError)) throw err;
      KeepAliveClient.resentAfterReset++;
      return this.sendOnce(opts);
    }
  }

  private sendOnce(opts: SendOptions): Promise<Timed> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
    return new Promise<Timed>((resolve, reject) => {
      const t0 = performance.now();
      let answered = false;
      const req = httpRequest({ host: this.host, port: this.port, method: opts.method, path: opts.path, headers, agent: this.agent }, (res) => {
        answered = true;
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
          // A connection closed mid-answer can still end the stream: a cut-short answer is a failure, not a result.
          if (!res.complete) return reject(new Error(`the connection closed after ${bytes} byte(s) of the answer`));
          const totalMs = performance.now() - t0;
          const timed: Timed = { status: res.statusCode ?? 0, firstByteMs: first < 0 ? totalMs : first, totalMs, bytes };
          if (keep) timed.body = Buffer.concat(parts).toString("utf8");
          resolve(timed);
        });
        res.on("error", reject);
        res.on("close", () => {
          if (!res.complete) reject(new Error(`the connection closed after ${bytes} byte(s) of the answer`));
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        // No answer yet on a connection that had served earlier requests: the race above.
        // (Node reports a reset after the answer began here too: that one reaches the caller.)
        reject(!answered && req.reusedSocket && err.code === "ECONNRESET" ? new StaleSocketError(err) : err);
      });
      req.end(opts.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(`kept-alive connection reset before an answer: ${cause.message}`, { cause });
  }
}

/** Throws with the start of the body when a benchmark request did not succeed. */
export async function expectOk(p: Promise<Timed>, what: string): Promise<Timed> {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}${r.body ? `: ${r.body.slice(0, 300)}` : ""}`);
  return r;
}
