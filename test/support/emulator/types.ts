// Public types of the Bedrock Runtime emulator. Other test suites, `npm run dev` and the benchmark depend on these
// shapes exactly, so change them only together with their callers.

import type { Ec2Emulator, InstanceStateName } from "./ec2.ts";
import type { AsyncInvokes } from "./async-invoke.ts";

/** Bedrock Runtime operations the emulator serves (AWS operation names, as in the SDK's command names). */
export type Operation = "InvokeModel" | "InvokeModelWithResponseStream" | "Converse" | "ConverseStream" | "CountTokens";

export interface EmulatorOptions {
  /** EC2: instances and their initial states (default one stopped instance, DEFAULT_INSTANCE_ID) and transition times. */
  ec2?: { instances?: Record<string, InstanceStateName>; pendingMs?: number; stoppingMs?: number };
  /** Port to bind; default 0 (ephemeral). */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** The only access key id SigV4 requests may use; default "AKIDEMULATOR". */
  accessKeyId?: string;
  /** Secret for that key; default "emulator-secret". */
  secretAccessKey?: string;
  /** Region the credential scope must name; default "us-east-1". */
  region?: string;
  /** Further regions the credential scope may name (default ["us-west-2"], where the Stability models live). */
  otherRegions?: string[];
  /** Bedrock API key accepted as `Authorization: Bearer <token>`; default none, so bearer auth is refused. */
  bearerToken?: string;
  /** Artificial delay before the first response byte of every Bedrock request; default 0. */
  latencyMs?: number;
  /**
   * Accepted `anthropic_beta` values; default: LiteLLM's Bedrock whitelist plus fine-grained-tool-streaming.
   * Changeable at runtime with `Emulator.configure` / `POST /__emulator/config`.
   */
  knownBetas?: string[];
  /**
   * Top-level InvokeModel body keys to refuse although the emulator normally allows them (e.g. `["output_config"]`
   * plays a Bedrock region or model that lacks the feature). Refused with the extraneous-key message. Default none.
   */
  rejectTopLevelKeys?: string[];
  /** Keys inside `output_config` to refuse: `output_config.<key>: Extra inputs are not permitted`. Default none. */
  rejectOutputConfigKeys?: string[];
  /** See EmulatorSettings.countTokensFamilies. Changeable at runtime with `Emulator.configure`. */
  countTokensFamilies?: string[];
  /** Write stream frames in random-sized pieces (exercises client buffering); default false. */
  splitFrames?: boolean;
  /** Keep at most this many recorded requests, dropping the oldest (benchmarks send many); default 10000. */
  maxRecordedRequests?: number;
  /** The local S3 bucket folder video jobs write output.mp4 into; default a fresh temporary folder (removed on stop). */
  bucketDir?: string;
  /** How long an asynchronous (video) job stays InProgress by default; default 2000 ms. */
  asyncJobMs?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query exactly as received, before any percent-decoding. */
  rawPath: string;
  /** AWS operation name, or "Unknown" for paths that are not Bedrock routes. */
  operation: Operation | "StartAsyncInvoke" | "GetAsyncInvoke" | "ListAsyncInvokes" | "Unknown";
  /** Decoded `{modelId}` path label, or null when the path has none. */
  modelId: string | null;
  /** Request headers, names lower-cased (Node's view of them). */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or null when it was empty or not JSON. */
  body: unknown;
  /** True only for a SigV4 request whose signature verified; false for bearer, none and bad signatures. */
  signatureValid: boolean;
  auth: "sigv4" | "bearer" | "none";
  /** The SigV4 credential scope's region, when the signature was valid. */
  region?: string;
  /**
   * HTTP status the emulator answered with, set when the response head is written; 0 until then (during a stall,
   * or for good when the client left before any answer).
   */
  status: number;
  /** Set when the response ends: true if the client closed the connection before the whole response was written. */
  clientClosedEarly?: boolean;
}

export interface ScenarioMatch {
  /** AWS operation name ("InvokeModelWithResponseStream") or path suffix ("invoke-with-response-stream"). */
  operation?: string;
  /** Exact decoded model id as it appears in the path. */
  modelId?: string;
}

export interface HttpFailure {
  status: number;
  /** e.g. "ThrottlingException"; sent as `x-amzn-ErrorType: <errorType>:http://internal.amazon.com/coral/com.amazon.bedrock/`. */
  errorType: string;
  message: string;
  headers?: Record<string, string>;
}

/** Lower-camel in-stream exception member names (BEDROCK_WIRE §2.3, §4.3); any other string is sent as given. */
export type StreamExceptionType =
  | "throttlingException"
  | "modelStreamErrorException"
  | "internalServerException"
  | "validationException"
  | "modelTimeoutException"
  | "serviceUnavailableException"
  | (string & {});

export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/**
 * One scripted behaviour. Scenarios form a FIFO queue: a request takes the first queued scenario whose `match`
 * fits it and that its operation can express (stream faults only fit streaming operations; answer-shaping fields
 * do not fit CountTokens nor calls to the embedding models, which take only `http` and `stallMs`). `times` (default 1) says how many requests it serves before it is dropped.
 */
export interface Scenario {
  match?: ScenarioMatch;
  times?: number;
  /** Fail the request with this HTTP error instead of answering. */
  http?: HttpFailure;
  /** Answer with this text. Combined with toolUse, the text comes first (like a real "let me check" answer). */
  text?: string;
  /** Answer with a tool call (Claude tool_use block / Converse toolUse), stop reason tool_use. */
  toolUse?: { name: string; input: unknown };
  /** Put a thinking block (with a signature) before the other blocks. */
  thinking?: string;
  /**
   * Put a redacted_thinking block with this opaque `data` after any thinking block and before the rest. It counts
   * 0 output tokens (its content is hidden, so there is nothing to count). Converse carries it as
   * `reasoningContent.redactedContent`: the UTF-8 bytes of this string.
   */
  redactedThinking?: string;
  /** Replace any of the computed usage numbers. */
  usage?: Usage;
  /** Send `afterEvents` normal frames, then an exception frame, then end the stream. */
  streamException?: {
    type: StreamExceptionType;
    message: string;
    afterEvents: number;
    originalStatusCode?: number;
    originalMessage?: string;
  };
  /** Send `afterEvents` normal frames, then a raw `:message-type: error` frame. */
  streamErrorFrame?: { code: string; message: string; afterEvents: number };
  /** Send n good frames, then one frame whose message CRC is wrong, then end the stream. */
  corruptCrcAfterEvents?: number;
  /**
   * Answer HTTP 200 with a JSON content type and only the first half of the JSON body (every non-streaming operation,
   * embeddings, images and CountTokens included): an answer that cannot be read, as a cut connection could leave it.
   */
  truncatedBody?: boolean;
  /**
   * Answer HTTP 200 with this JSON value in place of the real answer (every non-streaming operation, with the real
   * answer's headers): well-formed JSON of a shape the caller does not expect, e.g. `null` or `{}`.
   */
  replaceBody?: unknown;
  /** Delay between stream frames. */
  delayMs?: number;
  /** Delay before the first response byte (on top of the `latencyMs` option). */
  stallMs?: number;
}

/**
 * The settings that make the emulator play a stricter (or differently configured) Bedrock. They may change while it
 * runs (`Emulator.configure`, `POST /__emulator/config`) and survive `reset()`. An absent field is left unchanged.
 */
export interface EmulatorSettings {
  knownBetas?: string[];
  rejectTopLevelKeys?: string[];
  rejectOutputConfigKeys?: string[];
  /**
   * Model families besides Claude (e.g. `["qwen"]`) whose CountTokens the emulator answers, playing a Bedrock that
   * counts tokens for more models than today's (which refuses every non-Claude model). Default none.
   */
  countTokensFamilies?: string[];
}

export interface Emulator {
  /** Base URL, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  url: string;
  port: number;
  /** Every Bedrock-path request received, in arrival order (control endpoints are not recorded). */
  requests: RecordedRequest[];
  /** The EC2 Query API on the same URL (`POST /`, SigV4 service `ec2`): the origin instance's state machine. */
  ec2: Ec2Emulator;
  /** Bedrock's asynchronous invoke (video jobs): their state, scripts for the next jobs, the bucket folder. */
  asyncInvokes: AsyncInvokes;
  script(s: Scenario): void;
  /**
   * Forget queued scenarios, recorded requests, the prompt-cache state and the redacted-thinking data handed out.
   * Settings from `configure` are kept.
   */
  reset(): void;
  /** Change settings at runtime (fields given replace the current values; see EmulatorSettings). */
  configure(settings: EmulatorSettings): void;
  stop(): Promise<void>;
}
