/**
 * The sidecar's process: settings from the environment, the HTTP server on 127.0.0.1 (@hono/node-server), the
 * background poller, and a clean stop on SIGTERM (systemd gives it 15 s). `npm run build:sidecar` bundles this file
 * and everything it imports into one server.js for the instance.
 */
import { serve } from "@hono/node-server";
import { sidecarApp } from "./app.ts";
import { CredentialSource } from "./aws.ts";
import { BedrockAsync } from "./bedrock-async.ts";
import { sidecarConfig, type SidecarConfig } from "./config.ts";
import { JobStore } from "./jobs.ts";
import { log, setQuiet } from "./log.ts";
import { JobSettler } from "./settle.ts";

export interface RunningSidecar {
  url: string;
  settler: JobSettler;
  stop(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, env: NodeJS.ProcessEnv = process.env): Promise<RunningSidecar> {
  setQuiet(env.SIDECAR_QUIET === "1");
  const creds = new CredentialSource(env, config.imdsEndpoint);
  const store = new JobStore(config.databaseUrl, config.databaseHttpEndpoint);
  const bedrock = new BedrockAsync(config, creds);
  const settler = new JobSettler(store, bedrock, config);
  const app = sidecarApp({ config, store, bedrock, settler, creds });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  settler.start();
  log("info", { msg: "video sidecar listening", host: config.host, port });
  return {
    url: `http://${config.host}:${port}`,
    settler,
    stop: async () => {
      await settler.stop();
      await new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

const isEntry = typeof process !== "undefined" && process.argv[1] !== undefined && /(?:^|[/\\])(?:main\.ts|server\.js)$/.test(process.argv[1]);
if (isEntry) {
  try {
    const running = await startSidecar(sidecarConfig(process.env));
    const shutdown = () => {
      running.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
