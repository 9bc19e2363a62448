import type { AppContext } from "../context.ts";
import { GatewayError } from "../edge/errors.ts";
import { checkModelAllowed } from "../keys/policy.ts";
import type { ResolvedModel } from "../models/catalog.ts";

/** Model name → catalog entry, refusing unknown names (listing what exists) and models the key may not use. */
export function resolveModelForKey(c: AppContext, name: string): ResolvedModel {
  const { catalog } = c.get("services");
  const key = c.get("key");
  const allowed = catalog.allowedNames(key.models);
  const model = catalog.resolve(name);
  if (!model) {
    const available = allowed ? catalog.names().filter((n) => allowed.has(n)) : catalog.names();
    throw new GatewayError(404, `model: ${name} is not available. Available models: ${available.join(", ")}`, "not_found_error", undefined, "model");
  }
  checkModelAllowed(allowed, [name, model.row.name]);
  if (model.ended) {
    throw new GatewayError(
      400,
      `model: ${name} reached its end of life on ${model.ended.endOfLife} and Bedrock no longer serves it; use ${model.ended.successor} instead.`,
      "invalid_request_error",
      undefined,
      "model",
    );
  }
  return model;
}
