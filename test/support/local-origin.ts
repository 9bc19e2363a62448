// The local origin: a stand-in for the Cloudflare Tunnel's edge and cloudflared on the EC2 instance, for `npm run dev`
// and the tests. It answers as the tunnel does when the emulated instance is not running (HTTP 530, Cloudflare
// error 1033: no connector), and otherwise routes by path with the rules in origin/cloudflared/ingress.json (the
// same file the real tunnel's configuration is made from) to the services on the instance: the video sidecar
// (127.0.0.1:4001 there) and LiteLLM (127.0.0.1:4000 there). LiteLLM cannot be installed on every machine: without
// a LiteLLM URL its routes answer a clear 503. It also checks the Access service token, as the Access app in front
// of the real tunnel does.
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "./worker-harness.ts";

export interface LocalOriginOptions {
  /** Whether the instance is running (cloudflared connected). */
  isUp: () => boolean;
  /** Where the instance's 127.0.0.1:4001 is (the video sidecar); unset = nothing listening there (cloudflared: 502). */
  sidecarUrl?: string;
  /** Where the instance's 127.0.0.1:4000 is (LiteLLM); unset = a clear 503. */
  litellmUrl?: string;
  /** The Access service token the tunnel hostname requires (none = not checked). */
  access?: { clientId: string; clientSecret: string };
  port?: number;
}

export interface LocalOrigin {
  url: string;
  /** Each request: path, what answered. */
  seen: { method: string; path: string; answer: "530" | "403" | "404" | "sidecar" | "litellm" | "unavailable" }[];
  stop(): Promise<void>;
}

interface Rule {
  path?: string;
  service: string;
}

export function ingressRules(): { pattern: RegExp | null; service: string }[] {
  const file = JSON.parse(readFileSync(join(REPO_ROOT, "origin/cloudflared/ingress.json"), "utf8")) as { rules: Rule[] };
  return file.rules.map((r) => ({ pattern: r.path ? new RegExp(r.path) : null, service: r.service }));
}

export async function startLocalOrigin(opts: LocalOriginOptions): Promise<LocalOrigin> {
  const rules = ingressRules();
  const seen: LocalOrigin["seen"] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    if (!opts.isUp()) {
      seen.push({ method, path, answer: "530" });
      return drainThen(req, () => plain(res, 530, "error code: 1033"));
    }
    if (opts.access && (req.headers["cf-access-client-id"] !== opts.access.clientId || req.headers["cf-access-client-secret"] !== opts.access.clientSecret)) {
      seen.push({ method, path, answer: "403" });
      return drainThen(req, () => plain(res, 403, "Forbidden: a valid Access service token is required."));
    }
    const rule = rules.find((r) => r.pattern === null || r.pattern.test(path))!;
    const port = /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(rule.service)?.[1];
    if (!port) {
      seen.push({ method, path, answer: "404" });
      return drainThen(req, () => plain(res, 404, "Not Found"));
    }
    const isLitellm = port === "4000";
    const target = isLitellm ? opts.litellmUrl : opts.sidecarUrl;
    if (!target) {
      seen.push({ method, path, answer: "unavailable" });
      return drainThen(req, () =>
        isLitellm
          ? json(res, 503, { error: { message: "LiteLLM is not running on this local origin: set LITELLM_URL to a LiteLLM proxy to serve origin models.", type: "service_unavailable" } })
          : plain(res, 502, "Bad Gateway: nothing is listening on the sidecar's port."),
      );
    }
    seen.push({ method, path, answer: isLitellm ? "litellm" : "sidecar" });
    forward(req, res, target);
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Streams both ways, as cloudflared does (no buffering). */
function forward(req: IncomingMessage, res: ServerResponse, target: string): void {
  const t = new URL(target);
  const headers = { ...req.headers, host: t.host };
  const up = httpRequest({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.on("error", () => {
    if (!res.headersSent) plain(res, 502, "Bad Gateway");
    else res.destroy();
  });
  res.on("close", () => up.destroy());
  req.pipe(up);
}

function drainThen(req: IncomingMessage, fn: () => void): void {
  req.resume();
  req.once("end", fn);
  req.once("error", fn);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(text)) }).end(text);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }).end(body);
}
