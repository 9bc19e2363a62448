import { html } from "hono/html";
import type { AdminKey, SpendLogEntry } from "../../db/admin-queries.ts";
import { int, requestCost, usd, when } from "../format.ts";
import { emptyState, type Html } from "../layout.ts";

export interface RequestsView {
  rows: SpendLogEntry[];
  keys: AdminKey[];
  /** The query as given (the /spend/logs parameters), to keep the form filled in. */
  query: Record<string, string>;
  /** Catalog model names, offered as suggestions. */
  models: string[];
}

const LIMITS = [50, 100, 500, 1000];

function filters(v: RequestsView): Html {
  const q = v.query;
  const limit = Number(q.limit ?? 100);
  return html`<form method="get" action="/ui/requests" class="filters" aria-label="Filter requests">
<label>Key <select name="key"><option value="">All keys</option>${v.keys.map((k) => html`<option value="${k.id}"${q.key === k.id ? html` selected` : ""}>${k.keyAlias ?? k.keyPrefix}</option>`)}</select></label>
<label>Model <input name="model" list="models" value="${q.model ?? ""}" autocomplete="off"></label>
<datalist id="models">${v.models.map((m) => html`<option value="${m}"></option>`)}</datalist>
<label>From <input type="date" name="start_date" value="${q.start_date ?? ""}"></label>
<label>To <input type="date" name="end_date" value="${q.end_date ?? ""}"></label>
<label>Show <select name="limit">${LIMITS.map((n) => html`<option value="${n}"${n === limit ? html` selected` : ""}>${n}</option>`)}</select></label>
<button type="submit">Apply</button> <a href="/ui/requests">Clear</a>
</form>`;
}

function statusBadge(status: number): Html {
  return html`<span class="badge ${status < 400 ? "ok" : "bad"}">${status}</span>`;
}

export function requestsBody(v: RequestsView): Html {
  const filtered = Object.keys(v.query).some((k) => k !== "limit");
  if (v.rows.length === 0) {
    return html`${filters(v)}${emptyState(
      filtered ? "No requests match these filters." : "No requests yet.",
      filtered ? html`Widen the dates or <a href="/ui/requests">clear the filters</a>.` : "Each call through the gateway with a key is listed here, newest first, a few seconds after it ends.",
    )}`;
  }
  const cost = v.rows.reduce((a, r) => a + r.cost, 0);
  return html`${filters(v)}
<p>${int(v.rows.length)} requests, newest first, costing <span id="shown-cost">${usd(cost)}</span>. Select a column heading to sort.</p>
<div class="scroll"><table id="requests-table" class="sortable">
<thead><tr>
<th scope="col" data-sort="text">Time (UTC)</th><th scope="col" data-sort="num">Status</th><th scope="col" data-sort="text">Model</th><th scope="col" data-sort="text">Key</th>
<th scope="col" data-sort="num" class="num">Input</th><th scope="col" data-sort="num" class="num">Output</th><th scope="col" data-sort="num" class="num">Cache read</th><th scope="col" data-sort="num" class="num">Cache write</th>
<th scope="col" data-sort="num" class="num">Cost</th><th scope="col" data-sort="num" class="num">Latency</th><th scope="col" data-sort="text">Target</th>
</tr></thead>
<tbody>${v.rows.map(
    (r) => html`<tr data-request-id="${r.requestId}">
<td data-value="${r.startTime.toISOString()}"><time datetime="${r.startTime.toISOString()}">${when(r.startTime)}</time></td>
<td data-value="${r.status}">${statusBadge(r.status)}</td>
<td>${r.model}</td>
<td>${r.keyAlias ?? "—"}</td>
<td class="num" data-value="${r.inputTokens}">${int(r.inputTokens)}</td>
<td class="num" data-value="${r.outputTokens}">${int(r.outputTokens)}</td>
<td class="num" data-value="${r.cacheReadInputTokens}">${int(r.cacheReadInputTokens)}</td>
<td class="num" data-value="${r.cacheCreationInputTokens}">${int(r.cacheCreationInputTokens)}</td>
<td class="num" data-value="${r.cost}">${requestCost(r.cost)}</td>
<td class="num" data-value="${r.latencyMs ?? -1}">${r.latencyMs === null ? "—" : `${int(r.latencyMs)} ms`}</td>
<td>${r.target ?? "—"}</td>
</tr>`,
  )}</tbody>
</table></div>`;
}
