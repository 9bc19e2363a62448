/**
 * The origin's settings (the EC2 instance behind the Cloudflare Tunnel), parsed once per isolate. Without
 * `ORIGIN_URL` the gateway has no origin: origin routes answer 404 and nothing is ever forwarded.
 */
import { ConfigError } from "../config.ts";
import type { Price } from "../models/catalog.ts";
import { parseVideoEndOfLife } from "../models/video-catalog.ts";

export interface OriginConfig {
  /** The tunnel hostname (https://origin.example.com), no trailing slash. */
  url: string;
  /** Cloudflare Access service token for the tunnel hostname (both or neither). */
  access: { clientId: string; clientSecret: string } | null;
  /** HMAC key of the identity header (worker/origin/identity.ts). */
  sharedSecret: string;
  /** LiteLLM's master key, sent as the bearer credential on LiteLLM routes (the client's own key never is). */
  litellmKey: string | null;
  /** Models the edge catalog does not serve but LiteLLM on the origin does; price per 1M tokens when known. */
  models: Map<string, Price | null>;
  /** The instance to wake and stop; null = the origin is always on (no EC2 calls). */
  instanceId: string | null;
  region: string;
  ec2Endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  wakeWaitMs: number;
  idleMs: number;
  /** No idle stop this soon after the instance launched (boot, package start-up). */
  bootGraceMs: number;
  /** How long to wait for the origin's response headers before answering 504. */
  timeoutMs: number;
  /** Request bodies up to this size are held while the origin may be asleep, so they can be replayed after a wake. */
  replayMaxBytes: number;
  /** VIDEO_END_OF_LIFE: video model → end-of-life date (or null), overriding the catalog's (the sidecar reads it too). */
  videoEndOfLife: Record<string, string | null>;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export function parseOriginConfig(env: Record<string, unknown>): OriginConfig | null {
  const s = (name: string): string | undefined => {
    const v = env[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const url = s("ORIGIN_URL");
  if (!url) return null;
  const problems: string[] = [];
  const num = (name: string, def: number, min: number, max: number): number => {
    const v = s(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name} must be a number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  try {
    const u = new URL(url);
    if ((u.protocol !== "https:" && u.protocol !== "http:") || (u.pathname !== "/" && u.pathname !== "") || u.search || u.username) throw new Error();
  } catch {
    problems.push("ORIGIN_URL must be an http(s) origin with no path, e.g. https://origin.example.com");
  }
  const secret = s("ORIGIN_SHARED_SECRET") ?? "";
  if (secret.length < 32) problems.push("ORIGIN_SHARED_SECRET must be at least 32 characters (origin services verify the identity header with it)");
  const clientId = s("ORIGIN_ACCESS_CLIENT_ID");
  const clientSecret = s("ORIGIN_ACCESS_CLIENT_SECRET");
  if (!clientId !== !clientSecret) problems.push("ORIGIN_ACCESS_CLIENT_ID and ORIGIN_ACCESS_CLIENT_SECRET go together");
  const instanceId = s("ORIGIN_INSTANCE_ID") ?? null;
  if (instanceId && !INSTANCE_ID.test(instanceId)) problems.push("ORIGIN_INSTANCE_ID must be an EC2 instance id (i-…)");
  const region = s("ORIGIN_REGION") ?? s("AWS_REGION") ?? "us-east-1";
  const ec2Endpoint = s("EC2_ENDPOINT") ?? `https://ec2.${region}.amazonaws.com`;
  const models = parseOriginModels(s("ORIGIN_MODELS"), problems);
  let videoEndOfLife: Record<string, string | null> = {};
  try {
    videoEndOfLife = parseVideoEndOfLife(s("VIDEO_END_OF_LIFE"));
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  const config: OriginConfig = {
    url: url.replace(/\/+$/, ""),
    access: clientId && clientSecret ? { clientId, clientSecret } : null,
    sharedSecret: secret,
    litellmKey: s("ORIGIN_LITELLM_KEY") ?? null,
    models,
    instanceId,
    region,
    ec2Endpoint: ec2Endpoint.replace(/\/+$/, ""),
    credentials: { accessKeyId: s("AWS_ACCESS_KEY_ID") ?? "", secretAccessKey: s("AWS_SECRET_ACCESS_KEY") ?? "", sessionToken: s("AWS_SESSION_TOKEN") },
    wakeWaitMs: num("ORIGIN_WAKE_WAIT_SECONDS", 120, 0, 900) * 1000,
    idleMs: num("ORIGIN_IDLE_MINUTES", 30, 0, 10_080) * 60_000,
    bootGraceMs: num("ORIGIN_BOOT_GRACE_MINUTES", 10, 0, 120) * 60_000,
    timeoutMs: num("ORIGIN_TIMEOUT_SECONDS", 300, 1, 3600) * 1000,
    replayMaxBytes: num("ORIGIN_REPLAY_MAX_MB", 8, 0, 24) * 1024 * 1024,
    videoEndOfLife,
  };
  if (problems.length) throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  return config;
}

/**
 * `ORIGIN_MODELS`: a comma-separated list of names, or a JSON object of name → price per 1M tokens
 * (`{"input":…, "output":…}`) or null. Without a price the cost is the one the origin reports.
 */
function parseOriginModels(text: string | undefined, problems: string[]): Map<string, Price | null> {
  const out = new Map<string, Price | null>();
  if (!text) return out;
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) {
    for (const name of trimmed.split(",").map((n) => n.trim()).filter(Boolean)) out.set(name, null);
    return out;
  }
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
    for (const [name, price] of Object.entries(parsed)) {
      if (price === null) out.set(name, null);
      else if (isPrice(price)) out.set(name, price);
      else throw new Error();
    }
  } catch {
    problems.push('ORIGIN_MODELS must be a comma-separated list or a JSON object of name → {"input":USD,"output":USD} per 1M tokens (or null)');
  }
  return out;
}

function isPrice(v: unknown): v is Price {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.input === "number" && typeof p.output === "number" && p.input >= 0 && p.output >= 0;
}
