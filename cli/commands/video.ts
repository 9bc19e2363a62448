// `breakwater video create|list|get`: video jobs (Nova Reel, Luma Ray2) through the gateway, with the caller's own
// API key. create --wait shows a progress line on stderr while the origin wakes and while the job renders, and
// --out saves the finished mp4.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import type { Command, CommandContext } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { VideoClient, type VideoAnswer, type VideoJob } from "../video-client.ts";
import { own } from "../../worker/util/own.ts";

const POLL_MS = 3000;
const MAX_WAIT_S = 3 * 3600;
const MODELS: Record<string, string> = { "nova-reel": "nova-reel", "luma-ray2": "luma-ray2", ray2: "luma-ray2" };

function client(ctx: CommandContext): VideoClient {
  return new VideoClient(ctx.config({ requireMasterKey: false }), VideoClient.keyFrom(ctx.args.flags.key, ctx.io.env), ctx.io.fetch);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Repeats a call while the origin is waking (503 + retry-after), with a progress line. */
async function throughWake<T>(ctx: CommandContext, call: () => Promise<VideoAnswer<T>>, deadline: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const r = await call();
    if (r.ok) {
      if (Date.now() - started > 1000) ctx.io.err("\rorigin awake                              \n");
      return r.value;
    }
    if (Date.now() > deadline) throw new CliError("the origin is still starting; try again in a minute", 1);
    ctx.io.err(`\rwaking the origin (${Math.round((Date.now() - started) / 1000)} s)   `);
    await sleep(Math.min(r.retryAfter * 1000, 5000));
  }
}

function imageDataUri(path: string): string {
  const ext = extname(path).toLowerCase();
  const type = ext === ".png" ? "image/png" : ext === ".jpg" || ext === ".jpeg" ? "image/jpeg" : null;
  if (!type) throw new UsageError(`${path}: images must be .png, .jpg or .jpeg`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  return `data:${type};base64,${bytes.toString("base64")}`;
}

/** --shots FILE: a JSON list of {"prompt": "…", "image": "frame.png"?}; image paths are relative to the file. */
function shotsFrom(path: string): { prompt: string; image?: string }[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new UsageError(`${path} must be a JSON list of {"prompt": "…", "image": "file.png"}`);
  }
  if (!Array.isArray(doc)) throw new UsageError(`${path} must be a JSON list of shots`);
  return doc.map((s: { prompt?: unknown; image?: unknown }, i) => {
    if (typeof s?.prompt !== "string") throw new UsageError(`${path}: shot ${i + 1} needs a "prompt"`);
    return typeof s.image === "string" ? { prompt: s.prompt, image: imageDataUri(resolve(dirname(path), s.image)) } : { prompt: s.prompt };
  });
}

function intFlag(ctx: CommandContext, name: string): number | undefined {
  const v = ctx.args.flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number`, "video create");
  return n;
}

function jobLines(j: VideoJob): string {
  const rows: [string, string][] = [["job", j.id], ["status", j.status], ["model", `${j.model}${j.mode ? ` (${j.mode.replace(/_/g, "-")})` : ""}`], ["seconds", String(j.duration)]];
  const cost = j.cost ?? j.estimated_cost;
  if (cost !== undefined && cost !== null) rows.push([j.cost != null ? "cost" : "estimate", `$${cost.toFixed(2)}`]);
  if (j.error) rows.push(["error", j.error]);
  for (const w of j.warnings ?? []) rows.push(["warning", w.message]);
  if (j.url) rows.push(["video", `${j.url.split("?")[0]} (link valid until ${j.url_expires_at})`]);
  return rows.map(([k, v]) => `${k.padEnd(8)}  ${v}\n`).join("");
}

async function finish(ctx: CommandContext, c: VideoClient, job: VideoJob, out: string | undefined): Promise<void> {
  if (out && job.status === "completed" && job.url) {
    const bytes = await c.download(job.url);
    writeFileSync(resolve(ctx.io.cwd, out), bytes);
    ctx.io.err(`saved ${out} (${(bytes.length / 1024 / 1024).toFixed(1)} MB)\n`);
  }
  if (ctx.json) return ctx.printJson(job);
  ctx.print(jobLines(job));
  if (job.status === "failed") throw new CliError(`the video job failed: ${job.error ?? "no reason given"}`, 1);
}

export const videoCreate: Command = {
  name: "video create",
  summary: "make a video (Nova Reel, Luma Ray2); --wait --out clip.mp4 saves it",
  positionals: { min: 0, max: 1, names: "PROMPT" },
  flags: {
    model: { kind: "string" }, seconds: { kind: "string" }, image: { kind: "string" }, "end-image": { kind: "string" }, shots: { kind: "string" },
    mode: { kind: "string" }, resolution: { kind: "string" }, "aspect-ratio": { kind: "string" }, seed: { kind: "string" }, loop: { kind: "boolean" },
    key: { kind: "string" }, wait: { kind: "boolean" }, out: { kind: "string" },
  },
  help: `Usage: breakwater video create "PROMPT" [--model nova-reel|luma-ray2] [--seconds N] [--image F.png]
                              [--shots FILE] [--wait] [--out clip.mp4]

Submits a video job with your API key (--key, or BREAKWATER_API_KEY). The job's price (seconds × the model's price
per second) is held against the key's budget while it renders and charged when it completes.
  --model M          nova-reel (1280x720, 6–120 s in steps of 6) or luma-ray2 (5 or 9 s)
  --seconds N        length of the video
  --image F          first frame (PNG/JPEG; Nova Reel: 1280x720 and 6 s only)
  --end-image F      last frame (luma-ray2)
  --shots FILE       Nova Reel multi-shot: a JSON list of {"prompt": "…", "image": "frame.png"} (2–20 shots, 6 s each)
  --mode M           single-shot, multi-shot-automated (Nova Reel; one long prompt, 12–120 s)
  --resolution R     540p or 720p (luma-ray2)   --aspect-ratio A  16:9, 9:16, 1:1, 4:3, 3:4, 21:9, 9:21 (luma-ray2)
  --seed N, --loop   as the models take them
  --wait             wait for the video, with a progress line on stderr
  --out FILE         with --wait: save the mp4 here`,
  async run(ctx) {
    const prompt = ctx.args.positionals[0];
    const shots = typeof ctx.args.flags.shots === "string" ? shotsFrom(resolve(ctx.io.cwd, ctx.args.flags.shots)) : undefined;
    if (!prompt && !shots) throw new UsageError("give a PROMPT (or --shots FILE)", "video create");
    const model = typeof ctx.args.flags.model === "string" ? own(MODELS, ctx.args.flags.model) : undefined;
    if (ctx.args.flags.model !== undefined && !model) throw new UsageError(`--model must be one of ${Object.keys(MODELS).join(", ")}`, "video create");
    const out = typeof ctx.args.flags.out === "string" ? ctx.args.flags.out : undefined;
    if (out && ctx.args.flags.wait !== true) throw new UsageError("--out needs --wait", "video create");
    const str = (name: string) => (typeof ctx.args.flags[name] === "string" ? (ctx.args.flags[name] as string) : undefined);
    const body: Record<string, unknown> = {
      ...(model ? { model } : {}),
      ...(prompt ? { prompt } : {}),
      ...(shots ? { shots } : {}),
      duration: intFlag(ctx, "seconds"),
      seed: intFlag(ctx, "seed"),
      mode: str("mode"),
      resolution: str("resolution"),
      aspect_ratio: str("aspect-ratio"),
      ...(ctx.args.flags.loop === true ? { loop: true } : {}),
      ...(str("image") ? { image: imageDataUri(resolve(ctx.io.cwd, str("image")!)) } : {}),
      ...(str("end-image") ? { end_image: imageDataUri(resolve(ctx.io.cwd, str("end-image")!)) } : {}),
    };
    const c = client(ctx);
    const deadline = Date.now() + MAX_WAIT_S * 1000;
    let job = await throughWake(ctx, () => c.submit(body), Date.now() + 600_000);
    for (const w of job.warnings ?? []) ctx.warn(w.message);
    if (ctx.args.flags.wait === true) {
      const started = Date.now();
      while (job.status === "in_progress" || job.status === "pending") {
        if (Date.now() > deadline) throw new CliError(`job ${job.id} is still rendering; check it later with \`breakwater video get ${job.id}\``, 1);
        ctx.io.err(`\rrendering ${job.id}: ${job.status.replace("_", " ")} (${Math.round((Date.now() - started) / 1000)} s)   `);
        await sleep(POLL_MS);
        job = await throughWake(ctx, () => c.get(job.id), deadline);
      }
      ctx.io.err(`\r${job.status} after ${Math.round((Date.now() - started) / 1000)} s                         \n`);
    }
    await finish(ctx, c, job, out);
  },
};

export const videoGet: Command = {
  name: "video get",
  summary: "one video job: status, cost, and a download link once it is done",
  positionals: { min: 1, max: 1, names: "ID" },
  flags: { key: { kind: "string" }, out: { kind: "string" } },
  help: `Usage: breakwater video get ID [--out clip.mp4]

Shows one of your video jobs; a finished one carries a download link valid for one hour (--out saves the video).`,
  async run(ctx) {
    const c = client(ctx);
    const job = await throughWake(ctx, () => c.get(ctx.args.positionals[0]!), Date.now() + 600_000);
    await finish(ctx, c, job, typeof ctx.args.flags.out === "string" ? ctx.args.flags.out : undefined);
  },
};

export const videoList: Command = {
  name: "video list",
  summary: "your video jobs, newest first",
  positionals: { min: 0, max: 0, names: "" },
  flags: { key: { kind: "string" }, limit: { kind: "string" }, status: { kind: "string" } },
  help: `Usage: breakwater video list [--limit N] [--status in_progress|completed|failed|expired]

Lists the video jobs of your API key (--key or BREAKWATER_API_KEY), newest first (20 unless --limit, at most 100).`,
  async run(ctx) {
    const limit = intFlag(ctx, "limit");
    const status = typeof ctx.args.flags.status === "string" ? ctx.args.flags.status : undefined;
    const c = client(ctx);
    const r = await throughWake(ctx, () => c.list({ limit, status }), Date.now() + 600_000);
    if (ctx.json) return ctx.printJson(r);
    if (r.data.length === 0) return ctx.print('No video jobs yet. Make one with: breakwater video create "a lighthouse at dusk" --wait --out clip.mp4\n');
    const rows = r.data.map((j) => [j.id, j.status, j.model, `${j.duration} s`, j.cost != null ? `$${j.cost.toFixed(2)}` : "", j.created_at ?? ""]);
    const head = ["ID", "STATUS", "MODEL", "LENGTH", "COST", "CREATED"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd() + "\n";
    ctx.print(line(head) + rows.map(line).join("") + `${r.data.length} of ${r.total}\n`);
  },
};
