import type { ResolvedModel } from "../models/catalog.ts";

/**
 * Response headers for a request whose model has reached its end of life and was served by the successor:
 * `x-breakwater-model-successor` names the model that answered, `sunset` (RFC 8594) when the one asked for ended.
 */
export function lifecycleHeaders(model: ResolvedModel): Record<string, string> | undefined {
  if (!model.retired) return undefined;
  return {
    "x-breakwater-model-successor": model.row.name,
    sunset: new Date(Date.parse(`${model.retired.endOfLife}T00:00:00Z`) + 86_400_000).toUTCString(),
  };
}
