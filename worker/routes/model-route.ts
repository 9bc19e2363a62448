import { GatewayError } from "../edge/errors.ts";
import type { ModelRow } from "../models/catalog-data.ts";

/** The path that serves a catalog model, for telling a client that sent it to the wrong one. */
export function routeFor(row: ModelRow): string {
  switch (row.api) {
    case "embedding":
      return "/v1/embeddings";
    case "image":
      return row.image?.edit ? "/v1/images/edits" : "/v1/images/generations";
    default:
      return "/v1/chat/completions or /v1/messages";
  }
}

const KIND: Record<ModelRow["api"], string> = { anthropic: "a chat model", converse: "a chat model", embedding: "an embedding model", image: "an image model" };

/** A 400 naming the right path when a model is sent to a route that does not serve its kind. */
export function wrongRoute(requested: string, row: ModelRow): GatewayError {
  return new GatewayError(400, `model: ${requested} is ${KIND[row.api]}; call it through ${routeFor(row)}.`, "invalid_request_error", undefined, "model");
}
