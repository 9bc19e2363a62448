// The video API as a key holder calls it (not the admin API): the key from --key or BREAKWATER_API_KEY, the Access
// service token when the gateway sits behind Access. An origin that is waking answers 503 with retry-after: the
// caller decides whether to wait.
import type { Config } from "./config.ts";
import { ApiError, UsageError } from "./errors.ts";

export interface VideoJob {
  id: string;
  status: string;
  model: string;
  mode?: string;
  duration: number;
  cost?: number | null;
  estimated_cost?: number;
  error?: string | null;
  warnings?: { message: string }[];
  created_at?: string | null;
  completed_at?: string | null;
  url?: string;
  url_expires_at?: string;
}

export type VideoAnswer<T> = { ok: true; value: T } | { ok: false; waking: true; retryAfter: number };

export class VideoClient {
  constructor(
    private readonly config: Config,
    private readonly key: string,
    private readonly fetchFn: typeof fetch,
  ) {}

  static keyFrom(flag: string | true | undefined, env: Readonly<Record<string, string | undefined>>): string {
    const key = typeof flag === "string" ? flag : env.BREAKWATER_API_KEY;
    if (!key) throw new UsageError("no API key: pass --key or set BREAKWATER_API_KEY (a key made with `breakwater key create`)");
    return key;
  }

  submit(body: unknown): Promise<VideoAnswer<VideoJob>> {
    return this.send<VideoJob>("POST", "/v1/videos/generations", body);
  }

  get(id: string): Promise<VideoAnswer<VideoJob>> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(id)) throw new UsageError(`"${id}" is not a video job id`);
    return this.send<VideoJob>("GET", `/v1/videos/generations/${id}`);
  }

  list(query: { limit?: number; status?: string }): Promise<VideoAnswer<{ data: VideoJob[]; total: number }>> {
    const q = new URLSearchParams();
    if (query.limit !== undefined) q.set("limit", String(query.limit));
    if (query.status) q.set("status", query.status);
    return this.send("GET", `/v1/videos/generations${q.size ? `?${q}` : ""}`);
  }

  private async send<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<VideoAnswer<T>> {
    const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${this.key}` };
    if (this.config.access) {
      headers["cf-access-client-id"] = this.config.access.clientId;
      headers["cf-access-client-secret"] = this.config.access.clientSecret;
    }
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.fetchFn(`${this.config.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual", signal: AbortSignal.timeout(180_000) });
    } catch (e) {
      throw new ApiError(`cannot reach the gateway at ${this.config.url}: ${(e as Error).message}`);
    }
    const text = await res.text().catch(() => "");
    let doc: any;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    if (res.status === 503 && res.headers.get("retry-after")) return { ok: false, waking: true, retryAfter: Number(res.headers.get("retry-after")) || 30 };
    if (res.status === 200 || res.status === 202) return { ok: true, value: doc as T };
    const e = doc?.error;
    const where = typeof e?.param === "string" ? ` (${e.param})` : "";
    throw new ApiError(`${typeof e?.message === "string" ? e.message : `the gateway answered HTTP ${res.status}`}${where}`, res.status);
  }

  /** Downloads a finished video from its presigned URL (no gateway credentials go there). */
  async download(url: string): Promise<Uint8Array> {
    const res = await this.fetchFn(url, { signal: AbortSignal.timeout(600_000) });
    if (!res.ok) throw new ApiError(`the video download failed (HTTP ${res.status}); the link lasts one hour: run \`breakwater video get\` for a fresh one`, res.status);
    return new Uint8Array(await res.arrayBuffer());
  }
}
