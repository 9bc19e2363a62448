// `breakwater origin status|start|stop`: the EC2 origin behind the tunnel (LiteLLM, the video sidecar), through the
// admin API's /origin/* endpoints. start and stop wait for the instance to arrive, with a progress line on stderr.
import type { OriginStatus } from "../api-types.ts";
import type { Command, CommandContext } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { instant } from "../render/format.ts";

const POLL_MS = 2000;
const DEFAULT_WAIT_S = 600;

export function originLines(s: OriginStatus): [string, string][] {
  if (!s.configured) return [["origin", "not configured (ORIGIN_URL)"]];
  const lines: [string, string][] = [["origin", `${s.url}${s.instance_id ? ` (instance ${s.instance_id})` : " (always on)"}`]];
  lines.push(["state", s.error ? `unknown: EC2 said ${s.error.code}` : s.state]);
  if (s.launchTime) lines.push(["launched", instant(s.launchTime)]);
  lines.push(["last use", s.lastUseAt ? instant(s.lastUseAt) : "none recorded"]);
  if (s.idleStopAfter) lines.push(["idle stop", `after ${instant(s.idleStopAfter)} (${s.idleMinutes} min idle)`]);
  return lines;
}

const table = (lines: [string, string][]) => lines.map(([k, v]) => `${k.padEnd(9)}  ${v}\n`).join("");

function waitSeconds(ctx: CommandContext): number | null {
  if (ctx.args.flags["no-wait"] === true) return null;
  const w = ctx.args.flags.wait;
  if (w === undefined) return DEFAULT_WAIT_S;
  const n = Number(w);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new UsageError("--wait must be a whole number of seconds from 1 to 3600");
  return n;
}

/** Polls the status until the state is `target`, showing a progress line on stderr. */
async function waitFor(ctx: CommandContext, target: string, seconds: number): Promise<OriginStatus> {
  const client = ctx.client();
  const started = Date.now();
  for (;;) {
    const s = await client.get<OriginStatus>("/origin/status");
    const state = s.configured ? s.state : "not configured";
    const waited = Math.round((Date.now() - started) / 1000);
    if (state === target) {
      ctx.io.err(`\rorigin ${target} after ${waited} s        \n`);
      return s;
    }
    if (!s.configured || (s.error && waited > 30)) throw new CliError(`the origin did not become ${target}: ${s.configured ? `EC2 said ${s.error?.code}` : "no origin is configured"}`, 1);
    if (waited >= seconds) throw new CliError(`the origin is still ${state} after ${seconds} s`, 1);
    ctx.io.err(`\r${target === "running" ? "starting" : "stopping"}: ${state} (${waited} s)   `);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const originStatus: Command = {
  name: "origin status",
  summary: "the EC2 origin's state, launch time, last use and when it will be stopped",
  positionals: { min: 0, max: 0, names: "" },
  flags: {},
  help: `Usage: breakwater origin status

Shows the origin instance behind the tunnel (LiteLLM, the video sidecar): its EC2 state, when it launched, when a
request last used it, and when the idle stop will stop it.`,
  async run(ctx) {
    const s = await ctx.client().get<OriginStatus>("/origin/status");
    if (ctx.json) return ctx.printJson(s);
    ctx.print(table(originLines(s)));
  },
};

function lifeCommand(verb: "start" | "stop"): Command {
  const target = verb === "start" ? "running" : "stopped";
  return {
    name: `origin ${verb}`,
    summary: verb === "start" ? "start the origin instance and wait until it runs" : "stop the origin instance now",
    positionals: { min: 0, max: 0, names: "" },
    flags: { wait: { kind: "string" }, "no-wait": { kind: "boolean" } },
    help: `Usage: breakwater origin ${verb} [--wait SECONDS | --no-wait]

${verb === "start" ? "Starts the origin instance (requests that need it also start it on their own)" : "Stops the origin instance (the next request that needs it starts it again)"} and
waits until it is ${target}, showing progress on stderr.
  --wait SECONDS  give up after this long (default ${DEFAULT_WAIT_S})
  --no-wait       return once EC2 has accepted the call`,
    async run(ctx) {
      const seconds = waitSeconds(ctx);
      const r = await ctx.client().post<{ state: string | null }>(`/origin/${verb}`, {});
      const final = seconds === null ? null : await waitFor(ctx, target, seconds);
      if (ctx.json) return ctx.printJson(final ?? r);
      ctx.print(final ? table(originLines(final)) : `origin ${r.state ?? "changing state"}\n`);
    },
  };
}

export const originStart = lifeCommand("start");
export const originStop = lifeCommand("stop");
