// Pieces both request translators (OpenAI → Converse, Anthropic → Converse) share: the image formats Converse takes
// and the body's assembly, so the two always put the same fields in the same order and leave out empty ones.

type Json = Record<string, unknown>;

/** Media type → Converse image `format`. */
export const IMAGE_FORMATS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg", // not a registered type, but common in the wild
  "image/gif": "gif",
  "image/webp": "webp",
};

export interface ConverseBodyParts {
  turns: Array<{ role: "user" | "assistant"; content: Json[] }>;
  system: Json[];
  inferenceConfig: Json;
  toolConfig?: Json;
  outputConfig?: Json;
  additional: Json;
}

/** The Converse request body (model and stream/non-stream are chosen by the URL): empty parts are left out. */
export function converseBody(p: ConverseBodyParts): Json {
  const body: Json = { messages: p.turns };
  if (p.system.length) body.system = p.system;
  body.inferenceConfig = p.inferenceConfig;
  if (p.toolConfig) body.toolConfig = p.toolConfig;
  if (p.outputConfig) body.outputConfig = p.outputConfig;
  if (Object.keys(p.additional).length) body.additionalModelRequestFields = p.additional;
  return body;
}
