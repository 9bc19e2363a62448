// Which model ids the emulator treats as existing. The point is to catch a gateway that forgets to map a friendly
// name ("claude-sonnet-4-6") to a Bedrock id ("us.anthropic.claude-sonnet-4-6"): anything not shaped like a Bedrock
// id is unknown. Real Bedrock knows a fixed catalogue; we accept any id of a known family's shape, so new model
// versions need no emulator change (embedding models excepted: they are listed exactly, see FAMILIES).

export type ModelFamily =
  | "claude" | "nova" | "deepseek" | "qwen" | "kimi" | "llama" | "mistral" | "gpt-oss"
  | "titan-embed-v2" | "cohere-embed-v3" | "cohere-embed-v4"
  | "nova-canvas" | "titan-image" | "stability-image";

export interface ModelInfo {
  family: ModelFamily;
  /** Foundation-model id without geo prefix, or null when an application-inference-profile ARN hides it. */
  baseId: string | null;
  /** True when the id names a foundation model directly (what CountTokens requires, BEDROCK_WIRE §5). */
  isBaseModel: boolean;
}

const GEO_PREFIX = /^(?:us|eu|apac|au|ca|jp|global|us-gov)\./;
const VERSION = String.raw`(?::[a-z0-9]+)*`; // ":0", ":0:200k"
const FAMILIES: Array<[ModelFamily, RegExp]> = [
  // Image models before "nova" (whose shape would swallow nova-canvas); listed exactly, like the embedding models.
  ["nova-canvas", /^amazon\.nova-canvas-v1:0$/],
  ["titan-image", /^amazon\.titan-image-generator-v2:0$/],
  ["stability-image", /^stability\.(?:sd3-5-large-v1:0|stable-image-(?:ultra|core)-v1:1|stable-image-[a-z-]+-v1:0|stable-(?:style-transfer|outpaint|creative-upscale|fast-upscale|conservative-upscale)-v1:0)$/],
  ["claude", new RegExp(String.raw`^anthropic\.claude-[a-z0-9][a-z0-9.-]*${VERSION}$`)],
  ["nova", new RegExp(String.raw`^amazon\.nova-[a-z0-9][a-z0-9.-]*${VERSION}$`)],
  ["deepseek", new RegExp(String.raw`^deepseek\.[a-z0-9][a-z0-9.-]*${VERSION}$`)],
  ["qwen", new RegExp(String.raw`^qwen\.qwen[a-z0-9.-]*${VERSION}$`)],
  ["kimi", new RegExp(String.raw`^moonshot(?:ai)?\.kimi-[a-z0-9][a-z0-9.-]*${VERSION}$`)],
  ["llama", new RegExp(String.raw`^meta\.llama[a-z0-9.-]*${VERSION}$`)],
  ["mistral", new RegExp(String.raw`^mistral\.[a-z0-9][a-z0-9.-]*${VERSION}$`)],
  ["gpt-oss", new RegExp(String.raw`^openai\.gpt-oss-[a-z0-9][a-z0-9.-]*${VERSION}$`)],
  // Embedding models are matched exactly: each version has its own body schema (embeddings.ts), so an unknown
  // version must not be answered with a guessed one. They exist only as base ids (a geo prefix is classified here and
  // refused in server.ts, as Bedrock refuses an inference profile that does not exist).
  ["titan-embed-v2", /^amazon\.titan-embed-text-v2:0$/],
  ["cohere-embed-v3", /^cohere\.embed-(?:english|multilingual)-v3$/],
  ["cohere-embed-v4", /^cohere\.embed-v4:0$/],
];
const ARN = /^arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]+:(\d{12})?:([a-z-]+)\/(.+)$/;

function familyOf(baseId: string): ModelFamily | null {
  for (const [family, shape] of FAMILIES) if (shape.test(baseId)) return family;
  return null;
}

/** Returns null for an unknown model (the caller answers 404 ResourceNotFoundException). */
export function classifyModelId(modelId: string): ModelInfo | null {
  const arn = ARN.exec(modelId);
  if (arn) {
    const [, account, kind, rest = ""] = arn;
    if (kind === "application-inference-profile" && account && /^[a-z0-9]+$/.test(rest)) {
      // The ARN does not say which model it wraps; Claude is what gateways put behind these profiles.
      return { family: "claude", baseId: null, isBaseModel: false };
    }
    if (kind === "foundation-model" && !account) {
      const family = familyOf(rest);
      return family ? { family, baseId: rest, isBaseModel: true } : null;
    }
    if (kind === "inference-profile" && account) {
      const base = rest.replace(GEO_PREFIX, "");
      const family = base !== rest ? familyOf(base) : null;
      return family ? { family, baseId: base, isBaseModel: false } : null;
    }
    return null;
  }
  const base = modelId.replace(GEO_PREFIX, "");
  const family = familyOf(base);
  return family ? { family, baseId: base, isBaseModel: base === modelId } : null;
}

/** The Anthropic-style name Bedrock puts in `model`: "anthropic.claude-sonnet-4-5-20250929-v1:0" → "claude-sonnet-4-5-20250929". */
export function anthropicModelName(info: ModelInfo): string {
  if (!info.baseId) return "claude-sonnet-4-5-20250929";
  return info.baseId.replace(/^anthropic\./, "").replace(/-v\d+(?::[a-z0-9]+)*$/, "").replace(/(?::[a-z0-9]+)+$/, "");
}
