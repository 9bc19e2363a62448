// The video sidecar (origin/sidecar/) started in this process for tests and `npm run dev`, pointed at the Bedrock
// emulator (async invoke, presigned S3 GETs) and at a database behind the Neon-protocol shim.
import { sidecarConfig } from "../../origin/sidecar/config.ts";
import { startSidecar, type RunningSidecar } from "../../origin/sidecar/main.ts";
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY } from "./emulator/index.ts";

export const TEST_BUCKETS = { east: "bw-video-local-us-east-1", west: "bw-video-local-us-west-2" };

export interface SidecarOptions {
  sharedSecret: string;
  emulatorUrl: string;
  databaseUrl: string;
  databaseHttpEndpoint?: string;
  pollSeconds?: number;
  /** Extra environment (VIDEO_END_OF_LIFE, MODEL_LIFECYCLE_DATE, VIDEO_MAX_CONCURRENT_JOBS…). */
  env?: Record<string, string>;
}

export function sidecarEnv(o: SidecarOptions): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    PORT: "0",
    ORIGIN_SHARED_SECRET: o.sharedSecret,
    DATABASE_URL: o.databaseUrl,
    ...(o.databaseHttpEndpoint ? { DATABASE_HTTP_ENDPOINT: o.databaseHttpEndpoint } : {}),
    BEDROCK_ENDPOINT: o.emulatorUrl,
    S3_ENDPOINT: o.emulatorUrl,
    VIDEO_BUCKET_US_EAST_1: TEST_BUCKETS.east,
    VIDEO_BUCKET_US_WEST_2: TEST_BUCKETS.west,
    AWS_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: DEFAULT_SECRET_ACCESS_KEY,
    VIDEO_POLL_SECONDS: String(o.pollSeconds ?? 0.2),
    SIDECAR_QUIET: "1",
    ...o.env,
  };
}

export async function startTestSidecar(o: SidecarOptions): Promise<RunningSidecar> {
  const env = sidecarEnv(o);
  return startSidecar(sidecarConfig(env), env);
}
