// The checks a person runs after a deployment, against any Breakwater URL. Each check answers pass, fail, or
// "not served" (the gateway answers 404 for a feature it does not offer: image and video routes).

export interface SmokeOptions {
  baseUrl: string;
  /** Access service-token headers for gateway paths and for admin paths (may be the same token or absent locally). */
  clientAccess?: { id: string; secret: string };
  adminAccess?: { id: string; secret: string };
  /** An existing key; without one a short-lived key is made through the admin API and deleted afterwards. */
  apiKey?: string;
  masterKey?: string;
  chatModel: string;
  imageModel: string;
  videoModel: string;
  skipVideo: boolean;
  log(line: string): void;
}

export type Outcome = "pass" | "fail" | "not served" | "skipped";
export interface CheckResult {
  name: string;
  outcome: Outcome;
  detail: string;
}

class CheckFailed extends Error {}
class NotServed extends Error {}

const expectThat = (ok: boolean, detail: string) => {
  if (!ok) throw new CheckFailed(detail);
};

export async function runSmoke(o: SmokeOptions): Promise<CheckResult[]> {
  const base = o.baseUrl.replace(/\/+$/, "");
  const access = (t?: { id: string; secret: string }): Record<string, string> =>
    t ? { "CF-Access-Client-Id": t.id, "CF-Access-Client-Secret": t.secret } : {};
  const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; admin?: boolean } = {}) =>
    fetch(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        ...access(init.admin ? (o.adminAccess ?? o.clientAccess) : o.clientAccess),
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(60_000),
    });
  const results: CheckResult[] = [];
  const check = async (name: string, fn: () => Promise<string>) => {
    try {
      const detail = await fn();
      results.push({ name, outcome: "pass", detail });
    } catch (err) {
      const outcome: Outcome = err instanceof NotServed ? "not served" : "fail";
      results.push({ name, outcome, detail: err instanceof Error ? err.message : String(err) });
    }
    const r = results.at(-1)!;
    o.log(`${r.outcome.toUpperCase().padEnd(10)} ${name}${r.detail ? ` — ${r.detail}` : ""}`);
  };

  await check("health", async () => {
    const res = await call("/health");
    const body = await res.text();
    expectThat(res.status === 200 && JSON.parse(body).status === "ok", `GET /health answered ${res.status} ${body.slice(0, 120)}`);
    return "200 ok";
  });

  await check("auth: no key is refused", async () => {
    const res = await call("/v1/messages", { body: { model: o.chatModel, max_tokens: 1, messages: [{ role: "user", content: "hi" }] } });
    await res.body?.cancel();
    expectThat(res.status === 401, `expected 401, got ${res.status}`);
    return "401";
  });

  await check("auth: an unknown key is refused", async () => {
    const res = await call("/v1/models", { headers: { authorization: "Bearer sk-bw-not-a-real-key-000000000000000000" } });
    await res.body?.cancel();
    expectThat(res.status === 401, `expected 401, got ${res.status}`);
    return "401";
  });

  await check("auth: admin API without the master key is hidden", async () => {
    const res = await call("/key/list", { admin: true, headers: { authorization: "Bearer sk-bw-not-the-master-key" } });
    await res.body?.cancel();
    expectThat(res.status === 404 || res.status === 401, `expected 404, got ${res.status}`);
    return String(res.status);
  });

  let key = o.apiKey;
  const alias = `smoke-${Date.now().toString(36)}`;
  let madeKey = false;
  if (!key) {
    await check("admin: a short-lived test key", async () => {
      expectThat(!!o.masterKey, "no key to test with: set SMOKE_API_KEY, or BREAKWATER_MASTER_KEY to make one");
      const res = await call("/key/generate", { admin: true, headers: { authorization: `Bearer ${o.masterKey}` }, body: { key_alias: alias, max_budget: 1, duration: "1h" } });
      const body = (await res.json()) as { key?: string };
      expectThat(res.status === 200 && typeof body.key === "string", `POST /key/generate answered ${res.status}`);
      key = body.key;
      madeKey = true;
      return `alias ${alias}, budget $1, expires in 1h`;
    });
  }
  const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};

  try {
    await check("models", async () => {
      expectThat(!!key, "no key");
      const res = await call("/v1/models", { headers: auth });
      const body = (await res.json()) as { data?: { id: string }[] };
      expectThat(res.status === 200 && (body.data?.length ?? 0) > 0, `GET /v1/models answered ${res.status}`);
      return `${body.data!.length} models`;
    });

    await check(`Messages streaming (${o.chatModel})`, async () => {
      expectThat(!!key, "no key");
      const res = await call("/v1/messages", {
        headers: { ...auth, "anthropic-version": "2023-06-01" },
        body: { model: o.chatModel, max_tokens: 16, stream: true, messages: [{ role: "user", content: "Say OK." }] },
      });
      const text = await res.text();
      expectThat(res.status === 200 && (res.headers.get("content-type") ?? "").includes("text/event-stream"), `answered ${res.status} ${text.slice(0, 160)}`);
      expectThat(text.includes("event: message_stop"), "the stream did not end with message_stop");
      return "message_stop received";
    });

    await check(`Chat Completions streaming (${o.chatModel})`, async () => {
      expectThat(!!key, "no key");
      const res = await call("/v1/chat/completions", {
        headers: auth,
        body: { model: o.chatModel, max_tokens: 16, stream: true, messages: [{ role: "user", content: "Say OK." }] },
      });
      const text = await res.text();
      expectThat(res.status === 200, `answered ${res.status} ${text.slice(0, 160)}`);
      expectThat(text.includes("data: [DONE]"), "the stream did not end with [DONE]");
      return "[DONE] received";
    });

    await check(`image (${o.imageModel})`, async () => {
      expectThat(!!key, "no key");
      const res = await call("/v1/images/generations", { headers: auth, body: { model: o.imageModel, prompt: "a lighthouse on a breakwater", n: 1, size: "1024x1024" } });
      const text = await res.text();
      if (res.status === 404) throw new NotServed("POST /v1/images/generations answered 404");
      const body = JSON.parse(text) as { data?: { b64_json?: string; url?: string }[] };
      expectThat(res.status === 200 && !!(body.data?.[0]?.b64_json || body.data?.[0]?.url), `answered ${res.status} ${text.slice(0, 160)}`);
      return "one image";
    });

    if (o.skipVideo) {
      results.push({ name: `video (${o.videoModel})`, outcome: "skipped", detail: "skipped on request" });
      o.log(`SKIPPED    video (${o.videoModel})`);
    } else {
      await check(`video submit and status (${o.videoModel})`, async () => {
        expectThat(!!key, "no key");
        const res = await call("/v1/videos", { headers: auth, body: { model: o.videoModel, prompt: "waves breaking on a breakwater", duration: 6 } });
        const text = await res.text();
        if (res.status === 404) throw new NotServed("POST /v1/videos answered 404");
        const job = JSON.parse(text) as { id?: string };
        expectThat((res.status === 200 || res.status === 202) && typeof job.id === "string", `submit answered ${res.status} ${text.slice(0, 160)}`);
        const status = await call(`/v1/videos/${encodeURIComponent(job.id!)}`, { headers: auth });
        const s = (await status.json()) as { status?: string };
        expectThat(status.status === 200 && typeof s.status === "string", `status answered ${status.status}`);
        return `job ${job.id} is ${s.status}`;
      });
    }
  } finally {
    if (madeKey) {
      await check("admin: the test key is deleted", async () => {
        const res = await call("/key/delete", { admin: true, headers: { authorization: `Bearer ${o.masterKey}` }, body: { key_aliases: [alias] } });
        await res.body?.cancel();
        expectThat(res.status === 200, `POST /key/delete answered ${res.status}`);
        return alias;
      });
    }
  }
  return results;
}
