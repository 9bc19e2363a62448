// The HTTP front: control endpoints, request recording, auth, routing, and dispatch to the per-protocol answerers.
// Order of checks follows AWS: auth → route/model → body validation → scripted behaviour → answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { AwsError, BEDROCK_NS, CORAL_NS, validation, writeAwsError } from "./errors.ts";
import { classifyModelId, anthropicModelName, type ModelInfo } from "./models.ts";
import { modelIdFromPath, parseRoute, STREAMING_OPERATIONS, type Route } from "./routes.ts";
import { ScenarioQueue } from "./scenarios.ts";
import { verifyAuth, type AuthConfig } from "./sigv4.ts";
import { errorXml, type Ec2Emulator } from "./ec2.ts";
import type { AsyncInvokes } from "./async-invoke.ts";
import { isPresignedGet, servePresigned } from "./s3.ts";
import { applyUsageOverride, PromptCache, type UsageNumbers } from "./tokens.ts";
import { planAnswer } from "./plan.ts";
import {
  claudeConversationView, claudeMessage, claudeSegments, claudeStreamFrames, newClaudeAnswer, validateBetas, validateClaudeBody,
  type ClaudeRequest, type StreamTiming,
} from "./claude.ts";
import {
  converseConversationView, converseResponse, converseSegments, converseStreamFrames, newConverseAnswer, validateConverseBody,
  type ConverseRequest,
} from "./converse.ts";
import { countTokens } from "./count-tokens.ts";
import { checkConverseModelInput, shapeConversePlan } from "./converse-models.ts";
import { answerEmbedding, isEmbeddingFamily, type EmbeddingModelFamily } from "./embeddings.ts";
import { answerNova, answerStability, checkImageModelPlace, isImageFamily, type ImageModelFamily } from "./images.ts";
import { applySettings, describeSettings, type ClaudeRules } from "./config.ts";
import { validateEchoedThinking } from "./echoed-thinking.ts";
import type { AnswerPlan } from "./plan.ts";
import { faultFromScenario, sleep, writeEventStream } from "./stream.ts";
import type { RecordedRequest, Scenario } from "./types.ts";

/** Bedrock's request limit is 25,000,000 bytes of model input; a little slack covers the JSON envelope. */
const MAX_BODY_BYTES = 26 * 1024 * 1024;
export const CONTROL_PREFIX = "/__emulator/";

/** Fixed at start, except the ClaudeRules part, which `configure` changes in place (config.ts). */
export interface EmulatorConfig extends AuthConfig, ClaudeRules {
  latencyMs: number;
  splitFrames: boolean;
  maxRecordedRequests: number;
}

export interface EmulatorState {
  requests: RecordedRequest[];
  scenarios: ScenarioQueue;
  cache: PromptCache;
  /** Every redacted_thinking `data` handed out since the last reset: the only ones accepted back (echoed-thinking.ts). */
  redactedData: Set<string>;
  /** The EC2 Query API (ec2.ts): the origin instance's state machine. */
  ec2: Ec2Emulator;
  /** Bedrock's asynchronous invoke (async-invoke.ts) and the local S3 bucket folder it writes into. */
  asyncInvokes: AsyncInvokes;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (buf.length === 0) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(buf.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

/** A JSON answer; a scenario may cut it short (`truncatedBody`) or put another value in its place (`replaceBody`). */
function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}, scenario?: Pick<Scenario, "truncatedBody" | "replaceBody">): void {
  const whole = JSON.stringify(scenario && "replaceBody" in scenario ? scenario.replaceBody : value);
  const body = scenario?.truncatedBody ? whole.slice(0, Math.floor(whole.length / 2)) : whole;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function createEmulatorServer(config: EmulatorConfig, state: EmulatorState): Server {
  return createServer((req, res) => {
    handle(req, res, config, state).catch((err: unknown) => {
      // Validators throw AwsError; anything else is an emulator bug, reported as Bedrock would report its own.
      if (err instanceof AwsError) return writeAwsError(res, err);
      const message = err instanceof Error ? err.message : String(err);
      writeAwsError(res, new AwsError(500, "InternalServerException", `Internal emulator error: ${message}`, BEDROCK_NS));
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, config: EmulatorConfig, state: EmulatorState): Promise<void> {
  const rawUrl = req.url ?? "/";
  const method = req.method ?? "GET";
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      writeAwsError(res, validation(`Input is too long for requested model.`));
      return;
    }
    throw err;
  }
  if (rawUrl.startsWith(CONTROL_PREFIX)) {
    handleControl(method, rawUrl, body, res, config, state);
    return;
  }
  // EC2's Query API: POST / with a form body (Bedrock's operations all live under /model/).
  if (method === "POST" && rawUrl === "/" && /^application\/x-www-form-urlencoded/i.test(String(req.headers["content-type"] ?? ""))) {
    const auth = verifyAuth({ method, rawUrl, headers: req.headers, body }, config, "ec2");
    const out = auth.error ? errorXml(401, "AuthFailure", auth.error.message) : state.ec2.handle(body.toString("utf8"), auth.signatureValid);
    if (auth.error) state.ec2.calls.push({ action: new URLSearchParams(body.toString("utf8")).get("Action") ?? "", instanceId: null, signatureValid: false, status: 401, at: Date.now() });
    res.writeHead(out.status, { "Content-Type": "text/xml;charset=UTF-8", "Content-Length": String(Buffer.byteLength(out.xml)) });
    res.end(out.xml);
    return;
  }

  if (isPresignedGet(method, rawUrl)) {
    servePresigned(rawUrl, req.headers, res, state.asyncInvokes.bucketDir, config);
    return;
  }
  if (rawUrl === "/async-invoke" || rawUrl.startsWith("/async-invoke/") || rawUrl.startsWith("/async-invoke?")) {
    handleAsyncInvoke(req, res, method, rawUrl, body, config, state);
    return;
  }

  const route = parseRoute(method, rawUrl);
  const parsed = parseJson(body);
  const auth = verifyAuth({ method, rawUrl, headers: req.headers, body }, config);
  const recorded: RecordedRequest = {
    method,
    rawPath: rawUrl,
    operation: route?.operation ?? "Unknown",
    modelId: route?.modelId ?? modelIdFromPath(rawUrl),
    headers: { ...req.headers },
    body: parsed.ok ? parsed.value : null,
    signatureValid: auth.signatureValid,
    auth: auth.auth,
    ...(auth.region ? { region: auth.region } : {}),
    status: 0,
  };
  state.requests.push(recorded);
  recordStatus(res, recorded);
  // Whether the caller hung up before the whole response was sent (a gateway must cancel upstream promptly).
  res.once("close", () => {
    recorded.clientClosedEarly = !res.writableFinished;
  });
  if (state.requests.length > config.maxRecordedRequests) state.requests.shift();

  if (!route) {
    writeAwsError(res, new AwsError(404, "UnknownOperationException", "Unknown operation", CORAL_NS));
    return;
  }
  if (auth.error) {
    writeAwsError(res, auth.error);
    return;
  }
  const model = classifyModelId(route.modelId);
  if (!model) {
    writeAwsError(res, new AwsError(404, "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier."));
    return;
  }
  if (!parsed.ok) {
    writeAwsError(res, validation("Malformed input request, please reformat your input and try again."));
    return;
  }
  await answer(route, model, parsed.value, res, config, state, auth.region);
}

/**
 * Every answer (JSON, error or event stream) goes out through writeHead, so wrapping it catches the status at the
 * moment the head is written, including errors thrown deep in validation and caught by the server's handler.
 */
function recordStatus(res: ServerResponse, recorded: RecordedRequest): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
    recorded.status = args[0];
    return writeHead.apply(this, args);
  } as ServerResponse["writeHead"];
}

function handleControl(method: string, rawUrl: string, body: Buffer, res: ServerResponse, config: EmulatorConfig, state: EmulatorState): void {
  const path = rawUrl.split("?")[0];
  if (method === "POST" && path === `${CONTROL_PREFIX}script`) {
    const parsed = parseJson(body);
    if (!parsed.ok) return sendJson(res, 400, { message: "body must be a JSON scenario or a list of them" });
    const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
    try {
      for (const s of list) state.scenarios.add(s as Scenario);
    } catch (err) {
      return sendJson(res, 400, { message: err instanceof Error ? err.message : String(err) });
    }
    return sendJson(res, 200, { ok: true, queued: state.scenarios.size });
  }
  if (method === "POST" && path === `${CONTROL_PREFIX}reset`) {
    resetState(state);
    return sendJson(res, 200, { ok: true });
  }
  if (method === "GET" && path === `${CONTROL_PREFIX}requests`) return sendJson(res, 200, state.requests);
  if (method === "POST" && path === `${CONTROL_PREFIX}config`) {
    const parsed = parseJson(body);
    if (!parsed.ok) return sendJson(res, 400, { message: "body must be a JSON object of settings" });
    try {
      applySettings(config, parsed.value);
    } catch (err) {
      return sendJson(res, 400, { message: err instanceof Error ? err.message : String(err) });
    }
    return sendJson(res, 200, { ok: true, config: describeSettings(config) });
  }
  if (method === "GET" && path === `${CONTROL_PREFIX}config`) return sendJson(res, 200, describeSettings(config));
  if (method === "GET" && path === `${CONTROL_PREFIX}ec2`) return sendJson(res, 200, { instances: state.ec2.describeAll(), calls: state.ec2.calls, settings: state.ec2.settings });
  if (method === "POST" && path === `${CONTROL_PREFIX}ec2`) {
    // {"states": {"i-…": "running"}, "fault": {"action","code","message","status","times"}, "settings": {"pendingMs","stoppingMs"}}
    const parsed = parseJson(body);
    if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) return sendJson(res, 400, { message: "body must be a JSON object" });
    const v = parsed.value as { states?: Record<string, string>; fault?: { code?: unknown }; settings?: Record<string, unknown> };
    for (const [id, s] of Object.entries(v.states ?? {})) state.ec2.setState(id, s as Parameters<Ec2Emulator["setState"]>[1]);
    if (v.fault && typeof v.fault.code === "string") state.ec2.fail(v.fault as Parameters<Ec2Emulator["fail"]>[0]);
    for (const k of ["pendingMs", "stoppingMs"] as const) if (typeof v.settings?.[k] === "number") state.ec2.settings[k] = v.settings[k] as number;
    return sendJson(res, 200, { ok: true, instances: state.ec2.describeAll() });
  }
  if (method === "GET" && path === `${CONTROL_PREFIX}async`) {
    return sendJson(res, 200, { settings: state.asyncInvokes.settings, bucketDir: state.asyncInvokes.bucketDir, jobs: [...state.asyncInvokes.jobs.values()].map((j) => ({ ...j, modelInput: undefined })) });
  }
  if (method === "POST" && path === `${CONTROL_PREFIX}async`) {
    // {"durationMs": 1500, "next": [{"outcome": "Failed", "failureMessage": "…", "durationMs": 500}]}
    const parsed = parseJson(body);
    if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) return sendJson(res, 400, { message: "body must be a JSON object" });
    const v = parsed.value as { durationMs?: unknown; next?: unknown };
    if (typeof v.durationMs === "number" && v.durationMs >= 0) state.asyncInvokes.settings.durationMs = v.durationMs;
    if (Array.isArray(v.next)) state.asyncInvokes.script(v.next as Parameters<AsyncInvokes["script"]>[0]);
    return sendJson(res, 200, { ok: true, settings: state.asyncInvokes.settings });
  }
  return sendJson(res, 404, { message: `unknown control endpoint ${method} ${path}` });
}

/** The regions whose async-invoke endpoints this emulator stands in for (Nova Reel's and Ray2's). */
const ASYNC_REGIONS = ["us-east-1", "us-west-2"];

function handleAsyncInvoke(req: IncomingMessage, res: ServerResponse, method: string, rawUrl: string, body: Buffer, config: EmulatorConfig, state: EmulatorState): void {
  const [rawPath = "", rawQuery = ""] = rawUrl.split("?", 2);
  const operation = method === "POST" && rawPath === "/async-invoke" ? "StartAsyncInvoke" : method === "GET" && rawPath === "/async-invoke" ? "ListAsyncInvokes" : method === "GET" ? "GetAsyncInvoke" : null;
  // One emulator answers for both regions: the credential scope says which one was meant.
  const scoped = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
  const region = scoped && ASYNC_REGIONS.includes(scoped) ? scoped : config.region;
  const auth = verifyAuth({ method, rawUrl, headers: req.headers, body }, { ...config, region });
  const parsed = parseJson(body);
  const recorded: RecordedRequest = {
    method, rawPath: rawUrl, operation: operation ?? "Unknown", modelId: null, headers: { ...req.headers },
    body: parsed.ok ? parsed.value : null, signatureValid: auth.signatureValid, auth: auth.auth, status: 0,
  };
  state.requests.push(recorded);
  recordStatus(res, recorded);
  if (state.requests.length > config.maxRecordedRequests) state.requests.shift();
  if (!operation) return writeAwsError(res, new AwsError(404, "UnknownOperationException", "Unknown operation", CORAL_NS));
  if (auth.error) return writeAwsError(res, auth.error);
  try {
    if (operation === "StartAsyncInvoke") {
      if (!parsed.ok) throw validation("Malformed input request, please reformat your input and try again.");
      recorded.modelId = typeof (parsed.value as { modelId?: unknown }).modelId === "string" ? (parsed.value as { modelId: string }).modelId : null;
      return sendJson(res, 200, state.asyncInvokes.start(parsed.value, region));
    }
    if (operation === "ListAsyncInvokes") return sendJson(res, 200, state.asyncInvokes.list(new URLSearchParams(rawQuery)));
    const label = rawPath.slice("/async-invoke/".length);
    if (!label || label.includes("/")) throw validation("invocationArn is invalid.");
    return sendJson(res, 200, state.asyncInvokes.get(decodeURIComponent(label)));
  } catch (err) {
    if (err instanceof AwsError) return writeAwsError(res, err);
    throw err;
  }
}

export function resetState(state: EmulatorState): void {
  state.requests.length = 0; // same array: callers may hold a reference to emulator.requests
  state.scenarios.clear();
  state.cache.clear();
  state.redactedData.clear();
  state.ec2.reset();
  state.asyncInvokes.reset();
}

/** What the client may legitimately send back in a later turn. */
function rememberRedacted(plan: AnswerPlan, state: EmulatorState): void {
  for (const block of plan.blocks) if (block.type === "redacted_thinking") state.redactedData.add(block.data);
}

async function answer(route: Route, model: ModelInfo, body: unknown, res: ServerResponse, config: EmulatorConfig, state: EmulatorState, region?: string): Promise<void> {
  const { operation, modelId } = route;
  const timing: StreamTiming = { startedAt: Date.now(), firstByteAt: null };
  const requestId = randomUUID();
  const modelKey = model.baseId ?? modelId;

  if (operation === "CountTokens") {
    const result = countTokens(body, model, config);
    const scenario = state.scenarios.take(operation, modelId);
    await sleep(config.latencyMs + (scenario?.stallMs ?? 0));
    if (scenario?.http) return writeScripted(res, scenario, requestId);
    return sendJson(res, 200, result, { "x-amzn-RequestId": requestId }, scenario);
  }

  if (isEmbeddingFamily(model.family)) return answerEmbeddingCall(route, model, model.family, body, res, config, state, requestId, timing);
  if (isImageFamily(model.family)) return answerImageCall(route, model, model.family, body, res, config, state, requestId, region);

  const isClaudeInvoke = operation === "InvokeModel" || operation === "InvokeModelWithResponseStream";
  let claudeBody: ClaudeRequest | null = null;
  let converseBody: ConverseRequest | null = null;
  if (isClaudeInvoke) {
    if (model.family !== "claude") {
      throw validation(
        `Malformed input request: the Bedrock emulator models only Anthropic Claude bodies on InvokeModel; use Converse for ${modelId}, please reformat your input and try again.`,
      );
    }
    validateClaudeBody(body, config);
    validateEchoedThinking(body, state.redactedData);
    claudeBody = body;
  } else {
    validateConverseBody(body);
    checkConverseModelInput(model, body);
    const extra = body.additionalModelRequestFields;
    if (model.family === "claude" && typeof extra === "object" && extra !== null && "anthropic_beta" in extra) {
      validateBetas((extra as Record<string, unknown>).anthropic_beta, config.knownBetas);
    }
    converseBody = body;
  }

  const scenario = state.scenarios.take(operation, modelId);
  await sleep(config.latencyMs + (scenario?.stallMs ?? 0));
  if (res.destroyed) return;
  if (scenario?.http) return writeScripted(res, scenario, requestId);

  const streaming = STREAMING_OPERATIONS.has(operation);
  let frames: Array<() => Uint8Array>;
  if (claudeBody) {
    const plan = planAnswer(scenario, claudeConversationView(claudeBody), claudeBody.max_tokens);
    rememberRedacted(plan, state);
    const usage = usageFor(state.cache.account(modelKey, claudeSegments(claudeBody)), plan.outputTokens, scenario);
    const claude = newClaudeAnswer(plan, usage, anthropicModelName(model));
    if (!streaming) {
      return sendJson(res, 200, claudeMessage(claude), {
        "x-amzn-RequestId": requestId,
        "X-Amzn-Bedrock-Invocation-Latency": String(Date.now() - timing.startedAt),
        "X-Amzn-Bedrock-Input-Token-Count": String(usage.inputTokens),
        "X-Amzn-Bedrock-Output-Token-Count": String(usage.outputTokens),
        "X-Amzn-Bedrock-Cache-Read-Input-Token-Count": String(usage.cacheReadTokens),
        "X-Amzn-Bedrock-Cache-Write-Input-Token-Count": String(usage.cacheWriteTokens),
      }, scenario);
    }
    frames = claudeStreamFrames(claude, timing);
  } else if (converseBody) {
    const plan = shapeConversePlan(model, converseBody, planAnswer(scenario, converseConversationView(converseBody), converseBody.inferenceConfig?.maxTokens));
    rememberRedacted(plan, state);
    const usage = usageFor(state.cache.account(modelKey, converseSegments(converseBody)), plan.outputTokens, scenario);
    const converse = newConverseAnswer(plan, usage);
    if (!streaming) {
      return sendJson(res, 200, converseResponse(converse, Date.now() - timing.startedAt), { "x-amzn-RequestId": requestId }, scenario);
    }
    frames = converseStreamFrames(converse, timing);
  } else {
    return;
  }

  res.writeHead(200, {
    "Content-Type": "application/vnd.amazon.eventstream",
    "x-amzn-RequestId": requestId,
    ...(isClaudeInvoke ? { "X-Amzn-Bedrock-Content-Type": "application/json" } : {}),
  });
  await writeEventStream(res, frames, {
    delayMs: scenario?.delayMs ?? 0,
    splitFrames: config.splitFrames,
    fault: faultFromScenario(scenario),
    timing,
  });
}

/**
 * Titan / Cohere embeddings (embeddings.ts): InvokeModel only, base model ids only. Scripted `http` failures and
 * stalls apply; answer-shaping scenarios are left for a later generation call.
 */
async function answerEmbeddingCall(
  route: Route, model: ModelInfo, family: EmbeddingModelFamily, body: unknown, res: ServerResponse, config: EmulatorConfig,
  state: EmulatorState, requestId: string, timing: StreamTiming,
): Promise<void> {
  const { operation, modelId } = route;
  // Embedding models have no cross-region inference profile, so a geo-prefixed id names nothing that exists.
  if (!model.isBaseModel) throw validation("The provided model identifier is invalid.");
  if (operation === "Converse" || operation === "ConverseStream") {
    throw validation("This action doesn't support the model that you provided. Try again with a supported text or chat model.");
  }
  if (operation === "InvokeModelWithResponseStream") throw validation("The model is unsupported for streaming.");
  const result = answerEmbedding(family, body);
  const scenario = state.scenarios.take(operation, modelId, "embedding");
  await sleep(config.latencyMs + (scenario?.stallMs ?? 0));
  if (res.destroyed) return;
  if (scenario?.http) return writeScripted(res, scenario, requestId);
  sendJson(res, 200, result.body, {
    "x-amzn-RequestId": requestId,
    "X-Amzn-Bedrock-Invocation-Latency": String(Date.now() - timing.startedAt),
    "X-Amzn-Bedrock-Input-Token-Count": String(result.inputTokens),
  }, scenario);
}

/** The image models (images.ts): InvokeModel only, JSON answers; scripted `http` failures and stalls apply. */
async function answerImageCall(
  route: Route, model: ModelInfo, family: ImageModelFamily, body: unknown, res: ServerResponse, config: EmulatorConfig,
  state: EmulatorState, requestId: string, region: string | undefined,
): Promise<void> {
  const { operation, modelId } = route;
  if (operation !== "InvokeModel") throw validation("This action doesn't support the model that you provided. Try again with a supported text or chat model.");
  checkImageModelPlace(family, model.baseId ?? modelId, model.isBaseModel, region);
  const answer = family === "stability-image" ? answerStability(model.baseId ?? modelId, body) : answerNova(family, body);
  const scenario = state.scenarios.take(operation, modelId, "embedding");
  await sleep(config.latencyMs + (scenario?.stallMs ?? 0));
  if (res.destroyed) return;
  if (scenario?.http) return writeScripted(res, scenario, requestId);
  sendJson(res, answer.status, answer.body, { "x-amzn-RequestId": requestId }, scenario);
}

function usageFor(input: Omit<UsageNumbers, "outputTokens">, outputTokens: number, scenario: Scenario | undefined): UsageNumbers {
  return applyUsageOverride({ ...input, outputTokens }, scenario?.usage);
}

function writeScripted(res: ServerResponse, scenario: Scenario, requestId: string): void {
  const http = scenario.http;
  if (!http) return;
  writeAwsError(res, new AwsError(http.status, http.errorType, http.message, BEDROCK_NS, "message", http.headers ?? {}), requestId);
}
