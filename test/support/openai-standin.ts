// A small OpenAI-compatible server standing in for the services on the origin in tests: LiteLLM's
// /v1/chat/completions, /v1/messages, /v1/embeddings and /health/liveliness, and the video sidecar's /v1/videos/*
// paths (it only echoes what it received there; the real sidecar is origin/sidecar/). What it checks is what the
// real origin services must check: the identity header (HMAC, age, method and path binding, replay), and that no
// client credential arrived. It records every request for the tests to inspect.
//
// Models: "standin-error" answers 400 with an OpenAI error, "standin-fail" a 500, "standin-hang" never answers;
// anything else a fixed answer with
// usage (prompt 11 tokens, completion 7). A streamed answer can be held after its first chunk until `release()`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { IDENTITY_HEADER, ReplayGuard, verifyIdentity, type OriginIdentity } from "../../worker/origin/identity.ts";

export interface StandinRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  body: string;
  identity: OriginIdentity | null;
  refused: string | null;
}

export interface Standin {
  url: string;
  requests: StandinRequest[];
  /** Bytes of the current request body received so far (for proving a body is streamed, not held). */
  receiving: { bytes: number };
  /** Holds streamed answers after their first chunk until released. */
  hold(): void;
  release(): void;
  stop(): Promise<void>;
}

export const USAGE = { prompt_tokens: 11, completion_tokens: 7 };

export async function startStandin(secret: string): Promise<Standin> {
  const replay = new ReplayGuard();
  const requests: StandinRequest[] = [];
  const receiving = { bytes: 0 };
  let held = false;
  let releaseFns: (() => void)[] = [];
  const server: Server = createServer(async (req, res) => {
    const [path = "/", query = ""] = (req.url ?? "/").split("?");
    receiving.bytes = 0;
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) {
      chunks.push(c);
      receiving.bytes += c.length;
    }
    const body = Buffer.concat(chunks);
    const check = await verifyIdentity(secret, header(req, IDENTITY_HEADER), { method: req.method ?? "GET", path }, { replay });
    const rec: StandinRequest = {
      method: req.method ?? "GET",
      path,
      query,
      headers: { ...req.headers },
      bodyBytes: body.length,
      body: body.subarray(0, 65536).toString("utf8"),
      identity: check.ok ? check.identity : null,
      refused: check.ok ? null : check.reason,
    };
    requests.push(rec);
    if (!check.ok) return send(res, 401, { error: { message: `identity refused: ${check.reason}`, type: "authentication_error" } });
    if (path === "/health/liveliness") return send(res, 200, "I'm alive!");
    if (path.startsWith("/v1/videos")) return send(res, req.method === "POST" ? 202 : 200, { path, query, method: req.method, content_type: req.headers["content-type"] ?? null, received_bytes: body.length }, { "x-litellm-response-cost": "0.48" });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: { message: "body is not JSON", type: "invalid_request_error" } });
    }
    if (json.model === "standin-error") return send(res, 400, { error: { message: "standin says: bad parameter temperature", type: "invalid_request_error" } });
    if (json.model === "standin-fail") return send(res, 500, { error: { message: "standin crashed", type: "internal_error" } });
    if (json.model === "standin-hang") {
      // Never answers (until the stand-in stops): the gateway's origin timeout must end the request.
      await new Promise<void>((r) => releaseFns.push(r));
      return void res.destroy();
    }
    if (path === "/v1/embeddings") return send(res, 200, { object: "list", model: json.model, data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 5, total_tokens: 5 } });
    if (path === "/v1/messages") {
      return send(res, 200, { id: "msg_standin", type: "message", role: "assistant", model: json.model, content: [{ type: "text", text: "from the origin" }], stop_reason: "end_turn", usage: { input_tokens: 11, output_tokens: 7 } });
    }
    if (json.stream !== true) {
      return send(res, 200, { id: "chatcmpl-standin", object: "chat.completion", model: json.model, choices: [{ index: 0, message: { role: "assistant", content: "from the origin" }, finish_reason: "stop" }], usage: { ...USAGE, total_tokens: 18 } });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-litellm-version": "1.83.7", server: "uvicorn" });
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id: "chatcmpl-standin", object: "chat.completion.chunk", model: json.model, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
    res.write(chunk({ role: "assistant", content: "from " }));
    if (held) await new Promise<void>((r) => releaseFns.push(r));
    res.write(chunk({ content: "the origin" }));
    res.write(`data: ${JSON.stringify({ id: "chatcmpl-standin", object: "chat.completion.chunk", model: json.model, choices: [], usage: { ...USAGE, total_tokens: 18 } })}\n\n`);
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    receiving,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const f of releaseFns.splice(0)) f();
    },
    stop: () =>
      new Promise<void>((r) => {
        for (const f of releaseFns.splice(0)) f();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  res.writeHead(status, { "content-type": typeof value === "string" ? "text/plain" : "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
