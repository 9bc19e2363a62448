import { z } from "zod";

/**
 * Typed settings, parsed once per isolate from the environment (Workers vars/secrets or Deno.env). A bad value fails
 * the first request with a clear message naming the variable, rather than misbehaving later.
 */
export interface Config {
  aws: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; region: string };
  /** Base URL of Bedrock Runtime; the emulator's URL in tests and local runs. */
  bedrockEndpoint: string;
  geoPrefix: string;
  modelAliases: Record<string, string>;
  bedrockIds: Record<string, string>;
  database: { url: string; httpEndpoint?: string };
  keyCacheTtlMs: number;
  /** Unknown keys are remembered briefly so a flood of bad keys cannot turn into a flood of queries. */
  negativeKeyCacheTtlMs: number;
  maxBodyBytes: number;
  spendFlushDelayMs: number;
  /** Local development mode (`npm run dev`): relaxes nothing about keys, only allows running without Access. */
  devMode: boolean;
}

const jsonRecord = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s) return {} as Record<string, string>;
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(s));
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON object of strings" });
      return z.NEVER;
    }
  });

const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().transform((v) => v ?? def);

const EnvSchema = z.object({
  AWS_ACCESS_KEY_ID: z.string().min(1, "is required"),
  AWS_SECRET_ACCESS_KEY: z.string().min(1, "is required"),
  AWS_SESSION_TOKEN: z.string().optional(),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "is not an AWS region").optional(),
  BEDROCK_ENDPOINT: z.string().url().optional(),
  BEDROCK_GEO_PREFIX: z.enum(["", "none", "us", "eu", "apac", "au", "ca", "jp", "global", "us-gov"]).optional(),
  MODEL_ALIASES: jsonRecord,
  BEDROCK_MODEL_IDS: jsonRecord,
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  DATABASE_HTTP_ENDPOINT: z.string().url().optional(),
  KEY_CACHE_TTL_SECONDS: intFrom(30, 0, 3600),
  MAX_BODY_MB: intFrom(20, 1, 24),
  SPEND_FLUSH_DELAY_MS: intFrom(25, 0, 5000),
  BREAKWATER_DEV: z.string().optional(),
});

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, unknown>): Config {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string" && v !== "") strings[k] = v;
  const parsed = EnvSchema.safeParse(strings);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ");
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const region = e.AWS_REGION ?? "us-east-1";
  const geo = e.BEDROCK_GEO_PREFIX === "none" ? "" : (e.BEDROCK_GEO_PREFIX ?? "us");
  return {
    aws: { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, sessionToken: e.AWS_SESSION_TOKEN, region },
    bedrockEndpoint: (e.BEDROCK_ENDPOINT ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, ""),
    geoPrefix: geo,
    modelAliases: e.MODEL_ALIASES,
    bedrockIds: e.BEDROCK_MODEL_IDS,
    database: { url: e.DATABASE_URL, httpEndpoint: e.DATABASE_HTTP_ENDPOINT },
    keyCacheTtlMs: e.KEY_CACHE_TTL_SECONDS * 1000,
    negativeKeyCacheTtlMs: Math.min(2000, e.KEY_CACHE_TTL_SECONDS * 1000),
    maxBodyBytes: e.MAX_BODY_MB * 1024 * 1024,
    spendFlushDelayMs: e.SPEND_FLUSH_DELAY_MS,
    devMode: e.BREAKWATER_DEV === "1",
  };
}
