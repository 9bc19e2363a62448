/** A JSON object (not null, not an array): what a parsed body, a content block or a config value must be to be read by name. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
