/**
 * Bedrock's asynchronous video models, as data: the name clients send, the Bedrock id, the one region that serves
 * it (its output bucket must be in that region), the price per second of video, and its end of life with the
 * model to use instead. A successor is one new row plus `successor` on the old one.
 */
export interface VideoModelRow {
  name: string;
  bedrockId: string;
  region: string;
  /** US dollars per second of output; by resolution where the price differs. */
  pricePerSecond: number | Record<string, number>;
  /** Last day (UTC) Bedrock serves it; from the next day a job for it gets a 400 naming `successor`. */
  endOfLife?: string;
  successor?: string;
}

export const VIDEO_MODELS: readonly VideoModelRow[] = [
  // Rockport's retirement calendar records 2026-09-30 for Nova Reel v1:1 (not confirmed against AWS; see README).
  { name: "nova-reel", bedrockId: "amazon.nova-reel-v1:1", region: "us-east-1", pricePerSecond: 0.08, endOfLife: "2026-09-30", successor: "luma-ray2" },
  { name: "luma-ray2", bedrockId: "luma.ray-v2:0", region: "us-west-2", pricePerSecond: { "540p": 0.75, "720p": 1.5 } },
];

export const DEFAULT_VIDEO_MODEL = "nova-reel";

export interface VideoLifecycleOptions {
  /** The instant end-of-life dates are judged by (MODEL_LIFECYCLE_DATE); default the clock. */
  now?: number;
  /** VIDEO_END_OF_LIFE: model name → end-of-life date, or null for none (an operator who confirmed the date). */
  endOfLife?: Record<string, string | null>;
}

export function videoModel(name: string): VideoModelRow | undefined {
  return VIDEO_MODELS.find((m) => m.name === name || m.bedrockId === name);
}

/** The end-of-life date in force for a model (the override wins), or null. */
export function videoEndOfLife(row: VideoModelRow, opts: VideoLifecycleOptions = {}): string | null {
  if (opts.endOfLife && row.name in opts.endOfLife) return opts.endOfLife[row.name] ?? null;
  return row.endOfLife ?? null;
}

/** True once the end-of-life day is over (the day itself is still served, as for chat models). */
export function videoRetired(row: VideoModelRow, opts: VideoLifecycleOptions = {}): boolean {
  const eol = videoEndOfLife(row, opts);
  if (!eol) return false;
  return (opts.now ?? Date.now()) >= Date.parse(`${eol}T00:00:00Z`) + 86_400_000;
}

/** `VIDEO_END_OF_LIFE`: JSON object of model name → "YYYY-MM-DD" or null. Throws with a readable message. */
export function parseVideoEndOfLife(text: string | undefined): Record<string, string | null> {
  if (!text) return {};
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("VIDEO_END_OF_LIFE must be a JSON object");
  const out: Record<string, string | null> = {};
  for (const [name, v] of Object.entries(parsed)) {
    if (!videoModel(name)) throw new Error(`VIDEO_END_OF_LIFE names unknown video model "${name}"`);
    if (v !== null && (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v))) throw new Error(`VIDEO_END_OF_LIFE["${name}"] must be "YYYY-MM-DD" or null`);
    out[name] = v as string | null;
  }
  return out;
}
