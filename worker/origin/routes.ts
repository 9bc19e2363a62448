/**
 * The only requests the Worker forwards to the origin, as an allowlist in the style of worker/edge/firewall.ts:
 * exact paths, and one anchored pattern for a job id. The path sent to the origin is rebuilt from this table (never
 * the raw path the client sent), and only listed query parameters travel with it.
 */
export type OriginService = "sidecar" | "litellm";

export interface OriginRoute {
  method: "GET" | "POST";
  /** The path as the table names it ({id} for the variable segment). */
  path: string;
  service: OriginService;
  /** Query parameters passed on (everything else is dropped). */
  query?: readonly string[];
}

/** A video job id: a letter or digit, then letters, digits, `_` or `-`; nothing that could become a separator. */
export const VIDEO_JOB_PATH = /^\/v1\/videos\/generations\/([A-Za-z0-9][A-Za-z0-9_-]{0,127})$/;

export const ORIGIN_ROUTES: readonly OriginRoute[] = [
  // The video sidecar (Rockport's paths).
  { method: "POST", path: "/v1/videos/generations", service: "sidecar" },
  { method: "GET", path: "/v1/videos/generations", service: "sidecar", query: ["limit", "status"] },
  { method: "GET", path: "/v1/videos/generations/{id}", service: "sidecar" },
  { method: "GET", path: "/v1/videos/health", service: "sidecar" },
  // LiteLLM, for models the edge catalog does not serve (ORIGIN_MODELS).
  { method: "POST", path: "/v1/chat/completions", service: "litellm" },
  { method: "POST", path: "/v1/messages", service: "litellm" },
  { method: "POST", path: "/v1/embeddings", service: "litellm" },
];

/** Where each service answers "I am up" without a model call (used while waiting for a wake). */
export const READINESS_PATH: Record<OriginService, string> = {
  litellm: "/health/liveliness",
  sidecar: "/v1/videos/health",
};

export interface OriginTarget {
  route: OriginRoute;
  /** The normalised path to request on the origin. */
  path: string;
  /** `?…` or "". */
  search: string;
}

/**
 * The origin request for a client request, or null when the table has no such route. `rawPath` is the path exactly
 * as it arrived; anything but an exact match (or the id pattern) is refused, so dot segments, encoded slashes, doubled
 * slashes and trailing slashes never reach the origin.
 */
export function originTarget(method: string, rawPath: string, rawQuery = ""): OriginTarget | null {
  const id = VIDEO_JOB_PATH.exec(rawPath)?.[1];
  const tablePath = id !== undefined ? "/v1/videos/generations/{id}" : rawPath;
  const route = ORIGIN_ROUTES.find((r) => r.method === method && r.path === tablePath);
  if (!route) return null;
  const path = id !== undefined ? `/v1/videos/generations/${id}` : route.path;
  let search = "";
  if (route.query && rawQuery) {
    const given = new URLSearchParams(rawQuery);
    const kept = new URLSearchParams();
    for (const name of route.query) {
      const v = given.get(name);
      if (v !== null && /^[A-Za-z0-9_-]{1,32}$/.test(v)) kept.set(name, v);
    }
    const s = kept.toString();
    search = s ? `?${s}` : "";
  }
  return { route, path, search };
}
