// Public entry of the Bedrock Runtime emulator: a local, byte-faithful stand-in for bedrock-runtime used by the
// integration tests, `npm run dev` and the benchmark (standalone: `tsx scripts/emulator.ts`).
//
//   const emu = await startEmulator();            // http://127.0.0.1:<port>, keys AKIDEMULATOR / emulator-secret
//   emu.script({ http: { status: 429, errorType: "ThrottlingException", message: "Too many tokens, …" } });
//   emu.script({ match: { operation: "ConverseStream" }, toolUse: { name: "get_weather", input: { city: "Paris" } } });
//   emu.configure({ rejectTopLevelKeys: ["output_config"] });   // play a stricter Bedrock; survives reset()
//   … emu.requests[0].rawPath, .signatureValid, .status …;  emu.reset();  await emu.stop();
//
// Other processes script it over HTTP: POST /__emulator/script (a Scenario or a list), POST /__emulator/reset,
// GET /__emulator/requests, POST /__emulator/config (EmulatorSettings; answers {ok, config}), GET /__emulator/config. Callers that can only send prompts use magic markers (magic.ts): [[emu:tool NAME JSON]],
// [[emu:text …]], [[emu:words N]]. Without either, the answer is DEFAULT_TEXT. Token usage follows the formula in
// tokens.ts. Embedding models (Titan Text Embeddings V2, Cohere Embed v3/v4) answer InvokeModel with deterministic
// vectors (embeddingFor) and ceil(characters / 4) tokens per text. Image models (Nova Canvas, Titan Image v2,
// Stability) answer InvokeModel with real PNG/JPEG files and Bedrock's content-filter shapes, in the region each lives
// in (images.ts, image-files.ts); the credential scope may name us-west-2 as well as the main region. Files: server.ts (HTTP, order of checks), sigv4.ts,
// routes.ts + models.ts (paths, model ids), claude.ts / converse.ts / count-tokens.ts / embeddings.ts +
// embedding-vectors.ts (per-operation and per-model validation and answers), echoed-thinking.ts (thinking
// blocks sent back must be ones the emulator issued), config.ts (runtime settings), plan.ts (what to answer),
// scenarios.ts (script queue), frames.ts + stream.ts (event-stream encoding and writing), errors.ts.
//
// Video: Bedrock's async invoke (async-invoke.ts: POST /async-invoke, GET /async-invoke/{arn}, GET /async-invoke;
// Nova Reel in us-east-1, Ray2 in us-west-2, told apart by the credential scope), writing output.mp4 into a local
// bucket folder, and S3 presigned GETs on that folder (s3.ts: query signature and expiry checked). Script the next
// jobs with `emu.asyncInvokes.script({outcome, durationMs, failureMessage, http})` or POST /__emulator/async.
//
// Deliberate differences from the letter of a naive spec, each following what AWS does: no Authorization header at
// all → 403 MissingAuthenticationTokenException; a malformed SigV4 header → 403 IncompleteSignatureException; a bad
// bearer token → 403 AccessDeniedException with a capitalised "Message" field.
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncInvokes } from "./async-invoke.ts";
import { DEFAULT_KNOWN_BETAS } from "./claude.ts";
import { applySettings, checkSettings, rulesFrom } from "./config.ts";
import { ScenarioQueue } from "./scenarios.ts";
import { createEmulatorServer, resetState, type EmulatorConfig, type EmulatorState } from "./server.ts";
import { PromptCache } from "./tokens.ts";
import { Ec2Emulator } from "./ec2.ts";
import type { Emulator, EmulatorOptions } from "./types.ts";

export type {
  Emulator, EmulatorOptions, EmulatorSettings, HttpFailure, Operation, RecordedRequest, Scenario, ScenarioMatch, StreamExceptionType, Usage,
} from "./types.ts";
export { DEFAULT_KNOWN_BETAS } from "./claude.ts";
export { DEFAULT_TEXT, thinkingSignature } from "./plan.ts";
export { generateWords } from "./magic.ts";
export { embeddingFor } from "./embedding-vectors.ts";
export { embeddingTokens } from "./embeddings.ts";
export { decodeFrames } from "./frames.ts";
export { DEFAULT_INSTANCE_ID, Ec2Emulator, type Ec2Fault, type InstanceStateName } from "./ec2.ts";
export { AsyncInvokes, fakeMp4, type AsyncInvocation, type AsyncJobScript } from "./async-invoke.ts";

export const DEFAULT_ACCESS_KEY_ID = "AKIDEMULATOR";
export const DEFAULT_SECRET_ACCESS_KEY = "emulator-secret";
export const DEFAULT_REGION = "us-east-1";

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const ec2 = new Ec2Emulator({ pendingMs: opts.ec2?.pendingMs ?? 300, stoppingMs: opts.ec2?.stoppingMs ?? 300 }, opts.ec2?.instances);
  const ownBucketDir = opts.bucketDir === undefined;
  const asyncInvokes = new AsyncInvokes(opts.bucketDir ?? mkdtempSync(join(tmpdir(), "bw-emulator-s3-")));
  if (opts.asyncJobMs !== undefined) asyncInvokes.settings.durationMs = opts.asyncJobMs;
  const state: EmulatorState = { requests: [], scenarios: new ScenarioQueue(), cache: new PromptCache(), redactedData: new Set(), ec2, asyncInvokes };
  const settings = {
    knownBetas: opts.knownBetas,
    rejectTopLevelKeys: opts.rejectTopLevelKeys,
    rejectOutputConfigKeys: opts.rejectOutputConfigKeys,
    countTokensFamilies: opts.countTokensFamilies,
  };
  checkSettings(settings);
  const config: EmulatorConfig = {
    accessKeyId: opts.accessKeyId ?? DEFAULT_ACCESS_KEY_ID,
    secretAccessKey: opts.secretAccessKey ?? DEFAULT_SECRET_ACCESS_KEY,
    region: opts.region ?? DEFAULT_REGION,
    // Stability's image models live in us-west-2 only; the gateway signs their calls for that region.
    otherRegions: opts.otherRegions ?? ["us-west-2"],
    ...(opts.bearerToken !== undefined ? { bearerToken: opts.bearerToken } : {}),
    latencyMs: opts.latencyMs ?? 0,
    ...rulesFrom(settings, DEFAULT_KNOWN_BETAS),
    splitFrames: opts.splitFrames ?? false,
    maxRecordedRequests: opts.maxRecordedRequests ?? 10_000,
  };
  const server = createEmulatorServer(config, state);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: state.requests,
    ec2,
    asyncInvokes,
    script: (s) => state.scenarios.add(s),
    reset: () => resetState(state),
    configure: (s) => applySettings(config, s),
    stop: () => {
      ec2.stop();
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets (the AWS SDK pools them) would otherwise hold close() open.
        server.closeAllConnections();
      });
      return stopped.then(() => {
        if (ownBucketDir) rmSync(asyncInvokes.bucketDir, { recursive: true, force: true });
      });
    },
  };
}
