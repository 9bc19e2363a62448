// OpenAI chat parameters that Claude on Bedrock cannot honour. Silently dropping any of them would change the
// result the client asked for (several choices, log-probabilities, audio, determinism, penalties…), so each one
// is a 400 naming the parameter — the client can then remove it knowingly.
//
// Harmless fields pass: `user` (→ metadata.user_id), `metadata`, `store`, `safety_identifier`,
// `prompt_cache_key` (routing hints that do not change the answer), and zero/null/default values of everything
// below.
//
// Legacy function calling (`functions`, `function_call`, role "function") is refused rather than translated: a
// client using it expects `message.function_call` back, and answering with `tool_calls` would break it quietly.

import type { OpenAIChatRequest } from "./types.ts";

export interface UnsupportedParam {
  param: string;
  message: string;
}

const BEDROCK = "Claude on Amazon Bedrock";

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The first parameter of `req` this gateway cannot honour for Claude, or null when the request is expressible. */
export function checkUnsupported(req: OpenAIChatRequest): UnsupportedParam | null {
  const r = req as Record<string, unknown>;
  if (present(r.n) && r.n !== 1) {
    return { param: "n", message: `n: only one choice per request is supported (${BEDROCK} returns a single completion); send n=1 or omit it.` };
  }
  if (present(r.logprobs) && r.logprobs !== false) {
    return { param: "logprobs", message: `logprobs: ${BEDROCK} does not return token log-probabilities.` };
  }
  if (present(r.top_logprobs)) {
    return { param: "top_logprobs", message: `top_logprobs: ${BEDROCK} does not return token log-probabilities.` };
  }
  if (present(r.audio)) {
    return { param: "audio", message: `audio: audio output is not supported by ${BEDROCK}.` };
  }
  if (present(r.modalities)) {
    if (!Array.isArray(r.modalities) || r.modalities.some((m) => m !== "text")) {
      return { param: "modalities", message: `modalities: only ["text"] is supported by ${BEDROCK}.` };
    }
  }
  if (present(r.prediction)) {
    return { param: "prediction", message: `prediction: Predicted Outputs are not supported by ${BEDROCK}.` };
  }
  if (present(r.logit_bias) && !(isRecord(r.logit_bias) && Object.keys(r.logit_bias).length === 0)) {
    return { param: "logit_bias", message: `logit_bias: ${BEDROCK} has no token-level biasing.` };
  }
  if (present(r.web_search_options)) {
    return { param: "web_search_options", message: `web_search_options: web search is not available through this endpoint for ${BEDROCK}.` };
  }
  if (present(r.functions)) {
    return { param: "functions", message: "functions: legacy function calling is not supported; use `tools` (type \"function\") instead." };
  }
  if (present(r.function_call)) {
    return { param: "function_call", message: "function_call: legacy function calling is not supported; use `tool_choice` instead." };
  }
  if (present(r.stream_options) && !isRecord(r.stream_options)) {
    return { param: "stream_options", message: "stream_options: must be an object, e.g. {\"include_usage\": true}." };
  }
  if (present(r.service_tier) && r.service_tier !== "auto" && r.service_tier !== "default") {
    return { param: "service_tier", message: `service_tier: only "auto" and "default" are supported by ${BEDROCK}.` };
  }
  if (present(r.seed)) {
    return { param: "seed", message: `seed: ${BEDROCK} has no deterministic sampling, so a seed cannot be honoured; omit it.` };
  }
  for (const penalty of ["presence_penalty", "frequency_penalty"] as const) {
    if (present(r[penalty]) && r[penalty] !== 0) {
      return { param: penalty, message: `${penalty}: ${BEDROCK} has no equivalent; omit it or send 0.` };
    }
  }
  if (present(r.verbosity) && r.verbosity !== "medium") {
    return { param: "verbosity", message: `verbosity: ${BEDROCK} has no verbosity control; omit it.` };
  }
  return checkMessages(r.messages);
}

/** Message-level features with no Claude equivalent: legacy function turns, audio in or out, files by id. */
function checkMessages(messages: unknown): UnsupportedParam | null {
  if (!Array.isArray(messages)) return null; // shape errors are the translator's (and zod's) business
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isRecord(m)) continue;
    if (m.role === "function") {
      return { param: `messages[${i}].role`, message: `messages[${i}].role: legacy "function" messages are not supported; use tool_calls and role "tool".` };
    }
    if (present(m.function_call)) {
      return { param: `messages[${i}].function_call`, message: `messages[${i}].function_call: legacy function calling is not supported; use tool_calls.` };
    }
    if (present(m.audio)) {
      return { param: `messages[${i}].audio`, message: `messages[${i}].audio: audio is not supported by ${BEDROCK}.` };
    }
    if (!Array.isArray(m.content)) continue;
    for (let j = 0; j < m.content.length; j++) {
      const part: unknown = m.content[j];
      if (!isRecord(part)) continue;
      const problem = checkPart(part, `messages[${i}].content[${j}]`);
      if (problem) return problem;
    }
  }
  return null;
}

function checkPart(part: Record<string, unknown>, path: string): UnsupportedParam | null {
  if (part.type === "input_audio") {
    return { param: path, message: `${path}: audio input is not supported by ${BEDROCK}.` };
  }
  if (part.type !== "file") return null;
  const file = isRecord(part.file) ? part.file : {};
  if (typeof file.file_data !== "string") {
    const why = present(file.file_id) ? "files referenced by file_id cannot be read (there is no Files API here)" : "file_data is missing";
    return { param: `${path}.file`, message: `${path}.file: ${why}; send the PDF inline as file_data (a base64 data: URL).` };
  }
  if (!isPdfFileData(file.file_data, file.filename)) {
    return { param: `${path}.file.file_data`, message: `${path}.file.file_data: only PDF documents (data:application/pdf;base64,…) are supported.` };
  }
  return null;
}

/** file_data is a `data:application/pdf;base64,` URL, or bare base64 of a file whose name ends in .pdf. */
export function isPdfFileData(fileData: string, filename: unknown): boolean {
  if (fileData.startsWith("data:")) return /^data:application\/pdf;base64,/i.test(fileData);
  return typeof filename === "string" && /\.pdf$/i.test(filename);
}
