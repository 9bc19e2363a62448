import { html } from "hono/html";
import { when } from "../format.ts";
import { confirmDialog, emptyState, type Html } from "../layout.ts";
import { PANEL_ENDPOINTS, type PanelData } from "../panels.ts";
import { own } from "../../util/own.ts";

// The origin (EC2 behind the Tunnel: LiteLLM, the video sidecar) and the video jobs, shown from their admin
// endpoints. Field names are read defensively: whatever the endpoint returns is shown, known fields first.

const ORIGIN_STATES: Record<string, string> = { stopped: "bad", stopping: "warn", starting: "warn", pending: "warn", running: "ok" };

function field(o: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "—";
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return when(v);
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function notConfigured(what: string, path: string): Html {
  return emptyState(`${what}: not configured.`, html`This panel shows <code>GET ${path}</code> from the admin API once the gateway serves it. Nothing to do here until then.`);
}

function failed(p: { status: number; message: string }): Html {
  return html`<p class="error" role="alert">Could not read it (${p.status}): ${p.message}</p>`;
}

function originPanel(p: PanelData): Html {
  if (p.state === "not_configured") return notConfigured("The origin", PANEL_ENDPOINTS.origin);
  if (p.state === "failed") return failed(p);
  const o = (p.body ?? {}) as Record<string, unknown>;
  const state = String(field(o, "state", "status") ?? "unknown");
  const rest = Object.entries(o).filter(([k]) => !["state", "status"].includes(k));
  // Start and stop only for an instance the gateway manages (ORIGIN_INSTANCE_ID); the admin API refuses otherwise.
  const actions = field(o, "instance_id", "instanceId")
    ? html`<p class="actions"><button type="button" data-action="start" data-endpoint="/ui/api/origin/start">Start</button>
<button type="button" data-action="stop" data-endpoint="/ui/api/origin/stop">Stop</button></p>${confirmDialog()}`
    : "";
  return html`<p>State: <span class="badge ${own(ORIGIN_STATES, state) ?? ""}" id="origin-state">${state}</span></p>
${actions}
<dl class="facts">${rest.map(([k, v]) => html`<div><dt>${k.replaceAll("_", " ")}</dt><dd>${text(v)}</dd></div>`)}</dl>`;
}

function videoPanel(p: PanelData): Html {
  if (p.state === "not_configured") return notConfigured("Video jobs", PANEL_ENDPOINTS.videoJobs);
  if (p.state === "failed") return failed(p);
  const body = p.body as unknown;
  const jobs = (Array.isArray(body) ? body : ((body as { data?: unknown; jobs?: unknown } | null)?.data ?? (body as { jobs?: unknown } | null)?.jobs ?? [])) as Record<string, unknown>[];
  if (!Array.isArray(jobs) || jobs.length === 0) return emptyState("No video jobs yet.", "Jobs started through the gateway's video API are listed here.");
  const columns = [...new Set(jobs.flatMap((j) => Object.keys(j ?? {})))].slice(0, 8);
  return html`<div class="scroll"><table class="sortable" id="video-table"><thead><tr>${columns.map((c) => html`<th scope="col" data-sort="text">${c.replaceAll("_", " ")}</th>`)}</tr></thead>
<tbody>${jobs.map((j) => html`<tr>${columns.map((c) => html`<td>${text(j?.[c])}</td>`)}</tr>`)}</tbody></table></div>`;
}

export function originBody(origin: PanelData, video: PanelData): Html {
  return html`<section aria-labelledby="origin-h"><h2 id="origin-h">Origin</h2>${originPanel(origin)}</section>
<section aria-labelledby="video-h"><h2 id="video-h">Video jobs</h2>${videoPanel(video)}</section>`;
}
