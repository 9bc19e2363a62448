import { VIDEO_JOB_PATH } from "../origin/routes.ts";
import { GatewayError } from "./errors.ts";

/**
 * The path and method allowlist, applied before routing, like a WAF rule: exact, case-sensitive paths; anything else
 * is a 404 that never reaches a handler (405 for a known path with the wrong method). Raw paths that a normaliser
 * would rewrite into something else (`..`, `//`, encoded separators, control or non-ASCII bytes) are refused rather
 * than normalised and served.
 */
export const ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/health": ["GET"],
  "/v1/messages": ["POST"],
  "/v1/messages/count_tokens": ["POST"],
  "/v1/models": ["GET"],
  "/v1/chat/completions": ["POST"],
  "/v1/embeddings": ["POST"],
  // Images (worker/routes/images/): OpenAI's generations and edits, and Rockport's Nova Canvas operations.
  "/v1/images/generations": ["POST"],
  "/v1/images/edits": ["POST"],
  "/v1/images/variations": ["POST"],
  "/v1/images/background-removal": ["POST"],
  "/v1/images/outpaint": ["POST"],
  // Admin API (master key only; see worker/routes/admin/).
  "/key/generate": ["POST"],
  "/key/update": ["POST"],
  "/key/info": ["GET"],
  "/key/list": ["GET"],
  "/key/delete": ["POST"],
  "/key/regenerate": ["POST"],
  "/key/block": ["POST"],
  "/key/unblock": ["POST"],
  "/spend/logs": ["GET"],
  "/spend/report": ["GET"],
  "/spend/unreadable": ["GET"],
  "/spend/unreadable/chunk": ["GET"],
  "/spend/unreadable/salvage": ["POST"],
  "/spend/unreadable/discard": ["POST"],
  // The dashboard (admin callers only; see worker/ui/).
  "/ui": ["GET"],
  "/ui/login": ["GET", "POST"],
  "/ui/logout": ["POST"],
  "/ui/keys": ["GET"],
  "/ui/requests": ["GET"],
  "/ui/origin": ["GET"],
  "/ui/assets/app.css": ["GET"],
  "/ui/assets/app.js": ["GET"],
  "/ui/api/key/block": ["POST"],
  "/ui/api/key/unblock": ["POST"],
  "/ui/api/key/regenerate": ["POST"],
  "/ui/api/origin/start": ["POST"],
  "/ui/api/origin/stop": ["POST"],
  // The origin (worker/origin/routes.ts): the video sidecar's paths, and the admin API for the instance.
  "/v1/videos/generations": ["GET", "POST"],
  "/v1/videos/health": ["GET"],
  "/origin/status": ["GET"],
  "/video/jobs": ["GET"],
  "/origin/start": ["POST"],
  "/origin/stop": ["POST"],
};

/**
 * Paths with one variable segment: an explicit, anchored pattern each, never a prefix. `prefix` is the fixed part
 * every match starts with: the WAF (which has no regex on every plan) admits that prefix and the Worker the pattern.
 */
export interface PatternRoute {
  pattern: RegExp;
  prefix: string;
  methods: readonly string[];
}
export const PATTERN_ROUTES: readonly PatternRoute[] = [{ pattern: VIDEO_JOB_PATH, prefix: "/v1/videos/generations/", methods: ["GET"] }];

/** The most multipart upload that still fits Bedrock's 25,000,000-byte body once base64-encoded. */
export const EDIT_UPLOAD_MAX = 18_000_000;

export const MAX_PATH_LENGTH = 256;
export const MAX_QUERY_LENGTH = 1024;

// `..`, `//`, backslash, `;` (path parameters), percent-encoded `.`, `/`, `\`, NUL (encoded or not), and anything outside
// printable ASCII.
const SUSPICIOUS = /\.\.|\/\/|\\|;|%2e|%2f|%5c|%00|[^\x21-\x7e]/i;

/** The request target's path exactly as it arrived (no URL-parser normalisation) and its query string. */
export function rawTarget(url: string): { path: string; query: string } {
  const afterScheme = url.indexOf("://");
  const pathStart = afterScheme >= 0 ? url.indexOf("/", afterScheme + 3) : url.indexOf("/");
  if (pathStart < 0) return { path: "/", query: "" };
  const rest = url.slice(pathStart);
  const hashAt = rest.indexOf("#");
  const noHash = hashAt >= 0 ? rest.slice(0, hashAt) : rest;
  const q = noHash.indexOf("?");
  return q >= 0 ? { path: noHash.slice(0, q), query: noHash.slice(q + 1) } : { path: noHash, query: "" };
}

/** Throws a GatewayError for anything not on the allowlist; returns the canonical route path otherwise. */
export function checkRoute(method: string, url: string): string {
  const { path, query } = rawTarget(url);
  if (path.length > MAX_PATH_LENGTH || query.length > MAX_QUERY_LENGTH) throw new GatewayError(414, "Request URI too long.", "invalid_request_error");
  if (SUSPICIOUS.test(path)) throw new GatewayError(400, "Malformed request path.", "invalid_request_error");
  const allowed = ROUTES[path] ?? PATTERN_ROUTES.find((r) => r.pattern.test(path))?.methods;
  if (!allowed) throw new GatewayError(404, "Not found.", "not_found_error");
  if (!allowed.includes(method)) {
    throw new GatewayError(405, `Method ${method} not allowed on ${path}.`, "invalid_request_error", { allow: allowed.join(", ") });
  }
  return path;
}

/**
 * Body size limits per route, checked against the declared length before anything is read: model calls may carry
 * images (the configured maximum); token counting the same; admin calls and embeddings need far less.
 */
export function bodyLimitFor(path: string, modelCallMax: number): number {
  if (path.startsWith("/key/") || path.startsWith("/spend/") || path.startsWith("/ui/") || path.startsWith("/origin/")) return 64 * 1024;
  if (path === "/v1/embeddings") return Math.min(modelCallMax, 8 * 1024 * 1024);
  // Uploads turn into base64 (+33 %) inside a Bedrock body capped at 25,000,000 bytes.
  if (path === "/v1/images/edits") return Math.min(modelCallMax, EDIT_UPLOAD_MAX);
  return modelCallMax;
}
