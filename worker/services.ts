import { RejectionMemory } from "./bedrock/rejections.ts";
import { TargetRouter } from "./bedrock/targets.ts";
import { parseConfig, type Config } from "./config.ts";
import { createDb, type Db } from "./db/client.ts";
import { findKeyByHash, writeSpend } from "./db/queries.ts";
import { resetKeyPeriod } from "./db/meter-queries.ts";
import { MemoryAbuseLimiter, parseAbuseLimits, type AbuseLimiter } from "./edge/abuse.ts";
import { AccessVerifier, parseAccessConfig } from "./edge/access.ts";
import { KeyStore } from "./keys/store.ts";
import { InProcessMeter } from "./meter/in-process.ts";
import type { Meter } from "./meter/meter.ts";
import { SpendRecorder } from "./meter/spend.ts";
import { UsageMemory } from "./meter/usage-memory.ts";
import { Catalog } from "./models/catalog.ts";
import { logEvent } from "./util/log.ts";
import { buildOriginServices, type OriginServices } from "./origin/services.ts";
import { NATIVE_HASHING, type Hashing } from "./util/sha256.ts";
import type { OriginState } from "./origin/state.ts";

/** Everything a request needs that lives longer than a request: built once per isolate from the environment. */
export interface Services {
  config: Config;
  /** Cloudflare Access verification, or null when Access is not configured (then only dev mode serves). */
  access: AccessVerifier | null;
  /** Per-IP request ceiling and failed-key lockouts (per isolate). */
  abuse: AbuseLimiter;
  /** Postgres through the Neon HTTP driver: one fetch per statement, nothing held between requests. */
  db: Db;
  catalog: Catalog;
  keys: KeyStore;
  /** Where each model is served from, in failover order, with one signing client per place. */
  router: TargetRouter;
  /** Beta flags and fields Bedrock refused, per model, learned at run time. */
  rejections: RejectionMemory;
  spend: SpendRecorder;
  /** Per-key limits and budget reservations that hold across isolates (Durable Object on Workers). */
  meter: Meter;
  /** Each key's recent answers and cached prompt prefixes, for cost estimates (per isolate, bounded). */
  usage: UsageMemory;
  /** Tells every part of the gateway that holds key state that a key changed (blocked, updated, deleted, rotated). */
  keyEvents: KeyEvents;
  /** The EC2 origin behind the Tunnel (LiteLLM, the video sidecar); null without ORIGIN_URL. */
  origin: OriginServices | null;
  /** How the hot path hashes (the key, SigV4): the runtime entry's choice. */
  hashing: Hashing;
}

export interface KeyEvents {
  changed(keyId: string, keyHashes: string[]): Promise<void>;
}

/** What the runtime entry provides: on Workers the Durable Object meter; elsewhere the in-process one is used. */
export interface Platform {
  /** `spend` is the isolate's batching recorder, where spend rows go when the meter cannot take them. */
  meter?: (env: Record<string, unknown>, spend: SpendRecorder, config: Config) => Meter;
  /** The origin's shared state (the Durable Object on Workers); elsewhere the isolate holds it. */
  originState?: (env: Record<string, unknown>) => OriginState | null;
  /** How the hot path hashes: crypto.subtle unless the entry knows a cheaper way on its runtime (util/sha256.ts). */
  hashing?: Hashing;
}

export function buildServices(env: Record<string, unknown>, platform: Platform = {}): Services {
  const config = parseConfig(env);
  const db = createDb(config.database.url, { httpEndpoint: config.database.httpEndpoint, timeoutMs: config.database.timeoutMs });
  const keys = new KeyStore((hash) => findKeyByHash(db, hash), config.keyCacheTtlMs, config.negativeKeyCacheTtlMs);
  const spend = new SpendRecorder((rows) => writeSpend(db, rows), config.spendFlushDelayMs, (err, rows) =>
    logEvent("error", { msg: "spend write failed; rows kept for the next batch", rows, error: err }),
  );
  const meter = platform.meter?.(env, spend, config) ?? new InProcessMeter(spend, (keyId, next) => resetKeyPeriod(db, keyId, new Date(next)));
  const hashing = platform.hashing ?? NATIVE_HASHING;
  const accessConfig = parseAccessConfig(env as Record<string, string | undefined>);
  return {
    config,
    access: accessConfig ? new AccessVerifier(accessConfig) : null,
    abuse: new MemoryAbuseLimiter(parseAbuseLimits(env as Record<string, string | undefined>)),
    db,
    catalog: new Catalog({ geoPrefix: config.geoPrefix, aliases: config.modelAliases, bedrockIds: config.bedrockIds, arns: config.modelArns, now: config.lifecycleNow === null ? undefined : () => config.lifecycleNow! }),
    keys,
    router: new TargetRouter({
      region: config.aws.region,
      endpoint: config.bedrockEndpoint,
      credentials: config.aws,
      accounts: config.accounts,
      targets: config.targets,
      hashing,
    }),
    rejections: new RejectionMemory(),
    spend,
    meter,
    usage: new UsageMemory(),
    // This isolate forgets the key at once; other isolates are told through the meter (see worker/meter/).
    keyEvents: {
      async changed(keyId, hashes) {
        for (const h of hashes) keys.invalidate(h);
        await meter.keyChanged(keyId);
      },
    },
    origin: buildOriginServices(env, platform.originState),
    hashing,
  };
}

/**
 * One Services per environment object. Workers hand every request of an isolate the same `env`, so this builds once
 * per isolate; Deno passes one object for the process lifetime.
 */
export function servicesPerEnv(build: (env: Record<string, unknown>) => Services = (env) => buildServices(env)) {
  const memo = new WeakMap<object, Services>();
  return (env: unknown): Services => {
    const key = (env ?? {}) as object;
    let s = memo.get(key);
    if (!s) {
      s = build(key as Record<string, unknown>);
      memo.set(key, s);
    }
    return s;
  };
}
