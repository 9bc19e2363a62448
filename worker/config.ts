/**
 * Typed settings, parsed once per isolate from the environment (Workers vars/secrets or Deno.env). A bad value fails
 * the first request with a clear message naming the variable, rather than misbehaving later.
 */
import type { Credentials, TargetSpec } from "./bedrock/targets.ts";
import { defaultsOutsideLimits, keyDefaultsProblems, keyLimitsProblems, type KeyDefaults, type KeyLimits } from "./keys/bounds.ts";
import { LEASE_HEARTBEAT_MS, LEASE_SILENCE_MS } from "./meter/key-state.ts";
import { isRecord as isObj } from "./util/is-record.ts";

export interface Config {
  aws: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; region: string };
  /** Base URL of Bedrock Runtime; the emulator's URL in tests and local runs. */
  bedrockEndpoint: string;
  geoPrefix: string;
  modelAliases: Record<string, string>;
  bedrockIds: Record<string, string>;
  /** Application-inference-profile ARNs clients may name, each mapped to the catalog model it serves (for pricing). */
  modelArns: Record<string, string>;
  /** Model name (or "*") → where to try it, in order (failover). Empty = the one configured region/endpoint. */
  targets: Record<string, TargetSpec[]>;
  /** Extra credential sets for targets in other accounts. */
  accounts: Record<string, Credentials>;
  /** Judge model end-of-life dates as if it were this instant (ms); null = the real clock. */
  lifecycleNow: number | null;
  /** A stream silent for this long gets an SSE `ping` so proxies and clients do not time out (thinking models). */
  streamPingMs: number;
  /**
   * A stream whose upstream body gives nothing for this long (Bedrock silent, or a client that left without the
   * runtime saying so, so nothing is read) is ended and billed for what it produced so far.
   */
  streamUpstreamIdleMs: number;
  /** `timeoutMs`: every statement's deadline (DATABASE_TIMEOUT_MS); past it the caller gets a 503, never a hang. */
  database: { url: string; httpEndpoint?: string; timeoutMs: number };
  keyCacheTtlMs: number;
  /** Unknown keys are remembered briefly so a flood of bad keys cannot turn into a flood of queries. */
  negativeKeyCacheTtlMs: number;
  maxBodyBytes: number;
  spendFlushDelayMs: number;
  /**
   * How often an isolate reports each request in flight that holds something at its key's object (a parallel place,
   * tokens, the budget), and how long the object waits without a report before it takes such a request for dead
   * with its isolate (METER_REPORT_MS, METER_SILENCE_MS; worker/meter/key-state.ts).
   */
  meterReportMs: number;
  meterSilenceMs: number;
  /** Hostnames this gateway answers for (empty: any); a request for another host is a 404. */
  allowedHosts: string[];
  /** The admin API's credential (LiteLLM's "master key"); the admin API does not exist without it. */
  masterKey?: string;
  /** Values for fields a /key/generate request leaves out (KEY_DEFAULTS). */
  keyDefaults: KeyDefaults;
  /** Upper bounds for keys made or changed through the admin API (KEY_LIMITS). */
  keyLimits: KeyLimits;
  /** Local development mode (`npm run dev`): relaxes nothing about keys, only allows running without Access. */
  devMode: boolean;
  /** REQUEST_LOG=1: one structured log line per served request (the spend log holds the same fields durably). */
  requestLog: boolean;
}

export class ConfigError extends Error {}

/**
 * How long spend rows and lease settlements wait to travel together. Each batch costs one Postgres statement and one
 * object call per leased key however much it holds, so under load a longer wait means fewer of both (README).
 */
export const DEFAULT_SPEND_FLUSH_DELAY_MS = 100;

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const GEOS = ["", "none", "us", "eu", "apac", "au", "ca", "jp", "global", "us-gov"];

/** Collects every problem before failing, so one deploy shows all that is wrong. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Record<string, string>) {}

  optional(name: string): string | undefined {
    return this.env[name];
  }
  required(name: string): string {
    const v = this.env[name];
    if (v === undefined) this.problems.push(`${name} is required`);
    return v ?? "";
  }
  matching(name: string, re: RegExp, what: string): string | undefined {
    const v = this.env[name];
    if (v !== undefined && !re.test(v)) this.problems.push(`${name} ${what}`);
    return v;
  }
  url(name: string): string | undefined {
    const v = this.env[name];
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
      return v;
    } catch {
      this.problems.push(`${name} must be an http(s) URL`);
      return undefined;
    }
  }
  int(name: string, def: number, min: number, max: number): number {
    const v = this.env[name];
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  }
  json<T>(name: string, check: (v: unknown) => v is T, what: string, def: T): T {
    const v = this.env[name];
    if (v === undefined) return def;
    try {
      const parsed: unknown = JSON.parse(v);
      if (check(parsed)) return parsed;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be ${what}`);
    return def;
  }
  stringMap(name: string): Record<string, string> {
    const v = this.env[name];
    if (v === undefined) return {};
    try {
      const parsed: unknown = JSON.parse(v);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
      for (const val of Object.values(parsed)) if (typeof val !== "string") throw new Error();
      return parsed as Record<string, string>;
    } catch {
      this.problems.push(`${name} must be a JSON object of strings`);
      return {};
    }
  }
}

export function parseConfig(env: Record<string, unknown>): Config {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string" && v !== "") strings[k] = v;
  const r = new EnvReader(strings);

  const accessKeyId = r.required("AWS_ACCESS_KEY_ID");
  const secretAccessKey = r.required("AWS_SECRET_ACCESS_KEY");
  const region = r.matching("AWS_REGION", REGION, "is not an AWS region") ?? "us-east-1";
  const endpoint = r.url("BEDROCK_ENDPOINT");
  const geo = r.optional("BEDROCK_GEO_PREFIX") ?? "us";
  if (!GEOS.includes(geo)) r.problems.push(`BEDROCK_GEO_PREFIX must be one of ${GEOS.filter(Boolean).join(", ")}`);
  const databaseUrl = r.required("DATABASE_URL");
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) r.problems.push("DATABASE_URL must be a postgres:// URL");
  const keyTtl = r.int("KEY_CACHE_TTL_SECONDS", 30, 0, 3600);
  const config: Config = {
    aws: { accessKeyId, secretAccessKey, sessionToken: r.optional("AWS_SESSION_TOKEN"), region },
    bedrockEndpoint: (endpoint ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, ""),
    geoPrefix: geo === "none" ? "" : geo,
    modelAliases: r.stringMap("MODEL_ALIASES"),
    bedrockIds: r.stringMap("BEDROCK_MODEL_IDS"),
    modelArns: r.stringMap("MODEL_ARNS"),
    targets: r.json("BEDROCK_TARGETS", isTargets, 'a JSON object of model name → [{"region"?,"endpoint"?,"profile"?,"id"?,"account"?,"name"?}]', {}),
    accounts: r.json("BEDROCK_ACCOUNTS", isAccounts, 'a JSON object of name → {"accessKeyId","secretAccessKey","sessionToken"?}', {}),
    lifecycleNow: lifecycleNow(r),
    streamPingMs: r.int("STREAM_PING_MS", 10_000, 100, 600_000),
    streamUpstreamIdleMs: r.int("STREAM_UPSTREAM_IDLE_MS", 120_000, 500, 900_000),
    database: { url: databaseUrl, httpEndpoint: r.url("DATABASE_HTTP_ENDPOINT"), timeoutMs: r.int("DATABASE_TIMEOUT_MS", 10_000, 100, 120_000) },
    keyCacheTtlMs: keyTtl * 1000,
    negativeKeyCacheTtlMs: Math.min(2000, keyTtl * 1000),
    maxBodyBytes: r.int("MAX_BODY_MB", 20, 1, 24) * 1024 * 1024,
    spendFlushDelayMs: r.int("SPEND_FLUSH_DELAY_MS", DEFAULT_SPEND_FLUSH_DELAY_MS, 0, 5000),
    meterReportMs: r.int("METER_REPORT_MS", LEASE_HEARTBEAT_MS, 100, 600_000),
    meterSilenceMs: r.int("METER_SILENCE_MS", LEASE_SILENCE_MS, 300, 1_800_000),
    masterKey: r.optional("MASTER_KEY"),
    allowedHosts: (r.optional("ALLOWED_HOSTS") ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean),
    keyDefaults: keyBounds(r, "KEY_DEFAULTS", keyDefaultsProblems),
    keyLimits: keyBounds(r, "KEY_LIMITS", keyLimitsProblems),
    devMode: r.optional("BREAKWATER_DEV") === "1",
    requestLog: r.optional("REQUEST_LOG") === "1",
  };
  // A report or two may be lost (an object call that fails) without a live request being taken for a dead one.
  if (config.meterSilenceMs < 3 * config.meterReportMs) r.problems.push("METER_SILENCE_MS must be at least three times METER_REPORT_MS");
  if (config.masterKey !== undefined && config.masterKey.length < 32) r.problems.push("MASTER_KEY must be at least 32 characters");
  for (const p of defaultsOutsideLimits(config.keyDefaults, config.keyLimits)) r.problems.push(`KEY_DEFAULTS: ${p} (KEY_LIMITS)`);
  if (r.problems.length) throw new ConfigError(`Invalid configuration: ${r.problems.join("; ")}`);
  return config;
}

/**
 * MODEL_LIFECYCLE_DATE: an RFC 3339 date or instant the catalog judges end-of-life dates by instead of the clock
 * (to move to successors early, or to see today what a later date will do).
 */
function lifecycleNow(r: EnvReader): number | null {
  const v = r.optional("MODEL_LIFECYCLE_DATE");
  if (v === undefined) return null;
  const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) ? Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v) : NaN;
  if (Number.isNaN(t)) r.problems.push("MODEL_LIFECYCLE_DATE must be an RFC 3339 date (2026-12-01) or instant");
  return Number.isNaN(t) ? null : t;
}

/** KEY_DEFAULTS / KEY_LIMITS: a JSON object whose every problem is reported, field by field. */
function keyBounds<T extends object>(r: EnvReader, name: string, problemsOf: (v: unknown) => string[]): T {
  const text = r.optional(name);
  if (text === undefined) return {} as T;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    r.problems.push(`${name} must be a JSON object`);
    return {} as T;
  }
  const problems = problemsOf(parsed);
  for (const p of problems) r.problems.push(`${name}: ${p}`);
  return problems.length ? ({} as T) : (parsed as T);
}

const optStr = (v: unknown) => v === undefined || typeof v === "string";
const TARGET_KEYS = ["name", "region", "endpoint", "profile", "id", "account"];

function isTargets(v: unknown): v is Record<string, TargetSpec[]> {
  return (
    isObj(v) &&
    Object.values(v).every(
      (list) =>
        Array.isArray(list) &&
        list.length > 0 &&
        list.every((t) => isObj(t) && Object.keys(t).every((k) => TARGET_KEYS.includes(k)) && TARGET_KEYS.every((k) => optStr(t[k]))),
    )
  );
}

function isAccounts(v: unknown): v is Record<string, Credentials> {
  return isObj(v) && Object.values(v).every((a) => isObj(a) && typeof a.accessKeyId === "string" && typeof a.secretAccessKey === "string" && optStr(a.sessionToken));
}
