// The benchmark's own Workers entry, never deployed (wrangler.toml's main is worker/index.ts): the Worker unchanged,
// plus POST /__bench/loop, which sends N requests through it back to back inside one invocation, with Bedrock's
// answer made in the isolate. workerd's CPU over such a loop is the gateway's own cost per request without the HTTP
// exchanges in and out, Miniflare's entry worker or the clients. `mode: "relay"` runs the same loop through
// the bench's bare relay's own handler (bench/relay-handler.ts), its upstream answered in the isolate too, so gateway
// minus relay is the gateway's code alone (bench/isolate.ts).
import * as z from "zod/mini";
import worker from "../worker/index.ts";
import { relay } from "./relay-handler.ts";
import { describeIssues } from "../worker/util/zod-issues.ts";

export { KeyMeterObject, OriginStateObject } from "../worker/index.ts";

/** What the loop sends and what Bedrock answers, as the bench captured them from the emulator. */
export interface LoopSpec {
  mode: "gateway" | "relay";
  n: number;
  /** Calls to this origin are answered in the isolate with `answer`; every other fetch goes out as usual. */
  bedrockUrl: string;
  request: { path: string; headers: Record<string, string>; body: string };
  answer: { status: number; headers: Record<string, string>; body: string };
}

const exchange = { headers: z.record(z.string(), z.string()), body: z.string() };
const LoopSpecSchema = z.object({
  mode: z.enum(["gateway", "relay"]),
  n: z.int().check(z.positive()),
  bedrockUrl: z.string(),
  request: z.object({ path: z.string(), ...exchange }),
  answer: z.object({ status: z.int(), ...exchange }),
});

/** The loop's spec from the request body, or why it is not one (a 400: a malformed loop is the caller's mistake). */
async function loopSpec(request: Request): Promise<LoopSpec | string> {
  let raw: unknown;
  try {
    raw = await request.json();
  } catch {
    return "the loop spec is not JSON";
  }
  const parsed = LoopSpecSchema.safeParse(raw);
  return parsed.success ? (parsed.data as LoopSpec) : `the loop spec is malformed: ${describeIssues(parsed.error.issues, "body")}`;
}

const nativeFetch = globalThis.fetch;
let bedrock: Pick<LoopSpec, "bedrockUrl" | "answer"> | null = null;
globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (bedrock && url.startsWith(bedrock.bedrockUrl)) {
    const { status, headers, body } = bedrock.answer;
    return Promise.resolve(new Response(body, { status, headers }));
  }
  return nativeFetch(input, init);
}) as typeof fetch;

async function loop(spec: LoopSpec, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
  bedrock = spec;
  try {
    const { path, headers, body } = spec.request;
    for (let i = 0; i < spec.n; i++) {
      const request = new Request(`http://127.0.0.1${path}`, { method: "POST", headers, body });
      const res = spec.mode === "relay" ? await relay(request, spec.bedrockUrl) : await worker.fetch(request, env, ctx);
      const text = await res.text();
      // A loop of error answers would measure the wrong thing.
      if (res.status !== 200) return Response.json({ error: `request ${i} answered ${res.status}: ${text.slice(0, 300)}` }, { status: 500 });
    }
    return Response.json({ ok: true });
  } finally {
    // Between loops, Bedrock is the emulator again (a spend flush or anything else the gateway sends goes out).
    bedrock = null;
  }
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/__bench/loop" && request.method === "POST") {
      const spec = await loopSpec(request);
      return typeof spec === "string" ? Response.json({ error: spec }, { status: 400 }) : loop(spec, env, ctx);
    }
    return worker.fetch(request, env, ctx);
  },
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Record<string, unknown>>;
