// Starts the Bedrock Runtime emulator on its own and prints its URL, for `npm run dev`, the benchmark and manual
// poking. Usage: tsx scripts/emulator.ts [--port N] [--host H] [--latency-ms N] [--split-frames]
//                                        [--bearer-token T] [--access-key-id K] [--secret-access-key S] [--region R]
// The first stdout line is `BEDROCK_EMULATOR_URL=<url>` so a parent process can read it; stops on SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorOptions } from "../test/support/emulator/index.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "latency-ms": { type: "string" },
    "split-frames": { type: "boolean" },
    "bearer-token": { type: "string" },
    "access-key-id": { type: "string" },
    "secret-access-key": { type: "string" },
    region: { type: "string" },
  },
});

const opts: EmulatorOptions = {};
if (values.port !== undefined) opts.port = Number(values.port);
if (values.host !== undefined) opts.host = values.host;
if (values["latency-ms"] !== undefined) opts.latencyMs = Number(values["latency-ms"]);
if (values["split-frames"]) opts.splitFrames = true;
if (values["bearer-token"] !== undefined) opts.bearerToken = values["bearer-token"];
if (values["access-key-id"] !== undefined) opts.accessKeyId = values["access-key-id"];
if (values["secret-access-key"] !== undefined) opts.secretAccessKey = values["secret-access-key"];
if (values.region !== undefined) opts.region = values.region;

const emulator = await startEmulator(opts);
process.stdout.write(`BEDROCK_EMULATOR_URL=${emulator.url}\n`);
process.stderr.write(
  `Bedrock emulator listening on ${emulator.url} (access key ${opts.accessKeyId ?? "AKIDEMULATOR"}, region ${opts.region ?? "us-east-1"})\n` +
    `control: POST ${emulator.url}/__emulator/script | POST ${emulator.url}/__emulator/reset | GET ${emulator.url}/__emulator/requests\n`,
);

const shutdown = () => {
  void emulator.stop().then(() => process.exit(0));
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
