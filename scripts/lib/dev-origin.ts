// The origin half of `npm run dev`. With ORIGIN_URL set, the Worker is pointed at that origin and nothing is started.
// Otherwise the local origin (test/support/local-origin.ts) stands in for the tunnel: it answers 530 / error 1033
// while the emulated EC2 instance is not running and routes by the tunnel's ingress rules once it is — videos to
// SIDECAR_URL (the sidecar), LiteLLM's routes to LITELLM_URL (a real LiteLLM, when you have one; otherwise a clear
// 503). EC2 calls go to EC2_ENDPOINT, or to the Bedrock emulator, which also speaks the EC2 Query API. Without
// SIDECAR_URL the video sidecar (origin/sidecar/) runs in this process against the emulator's async invoke and S3,
// on the same database as the Worker.
import { randomBytes } from "node:crypto";
import { DEFAULT_INSTANCE_ID, type Emulator } from "../../test/support/emulator/index.ts";
import { startLocalOrigin } from "../../test/support/local-origin.ts";
import { startTestSidecar } from "../../test/support/video-sidecar.ts";

/** Settings passed through to the Worker as they are. */
const PASS_THROUGH = [
  "ORIGIN_URL", "ORIGIN_ACCESS_CLIENT_ID", "ORIGIN_ACCESS_CLIENT_SECRET", "ORIGIN_SHARED_SECRET", "ORIGIN_INSTANCE_ID", "ORIGIN_REGION",
  "EC2_ENDPOINT", "ORIGIN_WAKE_WAIT_SECONDS", "ORIGIN_IDLE_MINUTES", "ORIGIN_BOOT_GRACE_MINUTES", "ORIGIN_TIMEOUT_SECONDS",
  "ORIGIN_REPLAY_MAX_MB", "ORIGIN_MODELS", "ORIGIN_LITELLM_KEY", "VIDEO_END_OF_LIFE",
];

export interface DevOrigin {
  vars: Record<string, string>;
  label: string;
  stop(): Promise<void>;
}

export async function startDevOrigin(env: NodeJS.ProcessEnv, emulator: Emulator | null, database: { url: string; httpEndpoint?: string }): Promise<DevOrigin> {
  const vars: Record<string, string> = {};
  for (const name of PASS_THROUGH) if (env[name]) vars[name] = env[name]!;
  if (env.ORIGIN_URL) return { vars, label: `the origin at ${env.ORIGIN_URL}`, stop: async () => {} };

  const ec2Endpoint = env.EC2_ENDPOINT ?? emulator?.url;
  const instanceId = env.ORIGIN_INSTANCE_ID ?? (ec2Endpoint ? DEFAULT_INSTANCE_ID : undefined);
  const state = ec2Endpoint && instanceId ? instanceState(ec2Endpoint, instanceId, emulator) : null;
  const access = {
    clientId: env.ORIGIN_ACCESS_CLIENT_ID ?? `dev-${randomBytes(6).toString("hex")}.access`,
    clientSecret: env.ORIGIN_ACCESS_CLIENT_SECRET ?? randomBytes(24).toString("base64url"),
  };
  const sharedSecret = env.ORIGIN_SHARED_SECRET ?? randomBytes(32).toString("base64url");
  const sidecar = !env.SIDECAR_URL && emulator
    ? await startTestSidecar({
        sharedSecret, emulatorUrl: emulator.url, databaseUrl: database.url, databaseHttpEndpoint: database.httpEndpoint, pollSeconds: 5,
        env: {
          SIDECAR_QUIET: "0",
          ...(env.VIDEO_END_OF_LIFE ? { VIDEO_END_OF_LIFE: env.VIDEO_END_OF_LIFE } : {}),
          ...(env.MODEL_LIFECYCLE_DATE ? { MODEL_LIFECYCLE_DATE: env.MODEL_LIFECYCLE_DATE } : {}),
        },
      })
    : null;
  const origin = await startLocalOrigin({
    isUp: () => (state ? state.current() === "running" : true),
    sidecarUrl: env.SIDECAR_URL ?? sidecar?.url,
    litellmUrl: env.LITELLM_URL,
    access,
  });
  Object.assign(vars, {
    ORIGIN_URL: origin.url,
    ORIGIN_ACCESS_CLIENT_ID: access.clientId,
    ORIGIN_ACCESS_CLIENT_SECRET: access.clientSecret,
    ORIGIN_SHARED_SECRET: sharedSecret,
    ...(instanceId && ec2Endpoint ? { ORIGIN_INSTANCE_ID: instanceId, EC2_ENDPOINT: ec2Endpoint } : {}),
  });
  const parts = [
    `local origin at ${origin.url}`, state ? `instance ${instanceId} via ${ec2Endpoint}` : "always on",
    env.LITELLM_URL ? `LiteLLM ${env.LITELLM_URL}` : "no LiteLLM (LITELLM_URL)",
    env.SIDECAR_URL ? `video sidecar ${env.SIDECAR_URL}` : sidecar ? "video sidecar on the emulator" : "no video sidecar (SIDECAR_URL)",
  ];
  return {
    vars,
    label: parts.join(", "),
    stop: async () => {
      state?.stop();
      await sidecar?.stop();
      await origin.stop();
    },
  };
}

/** The instance's state: read from the emulator in this process, else polled from an emulator's control API. */
function instanceState(endpoint: string, id: string, emulator: Emulator | null): { current(): string | null; stop(): void } {
  if (emulator && endpoint === emulator.url) return { current: () => emulator.ec2.state(id), stop: () => {} };
  let last: string | null = null;
  const timer = setInterval(() => {
    fetch(`${endpoint}/__emulator/ec2`)
      .then((r) => r.json() as Promise<{ instances: Record<string, { state: string }> }>)
      .then((j) => (last = j.instances[id]?.state ?? null))
      .catch(() => (last = null));
  }, 250);
  timer.unref();
  return { current: () => last, stop: () => clearInterval(timer) };
}
