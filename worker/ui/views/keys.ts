import { html } from "hono/html";
import type { AdminKey } from "../../db/admin-queries.ts";
import { int, usd, when } from "../format.ts";
import { confirmDialog, emptyState, type Html } from "../layout.ts";

export interface KeysView {
  keys: AdminKey[];
  lastUsed: Map<string, Date>;
  total: number;
  page: number;
  pages: number;
  now: Date;
}

function status(k: AdminKey, now: Date): { label: string; cls: string } {
  if (k.blocked) return { label: "Blocked", cls: "bad" };
  if (k.expires && k.expires.getTime() <= now.getTime()) return { label: "Expired", cls: "bad" };
  return { label: "Active", cls: "ok" };
}

function budget(k: AdminKey): Html {
  if (k.maxBudget === null) return html`<span data-value="${k.spend}">${usd(k.spend)} <span class="muted">no budget</span></span>`;
  const period = k.budgetDuration ? ` per ${k.budgetDuration}` : "";
  return html`<meter min="0" max="${k.maxBudget}" low="${k.maxBudget * 0.75}" high="${k.maxBudget * 0.9}" optimum="0" value="${Math.min(k.spend, k.maxBudget)}" aria-label="Budget used"></meter>
<span data-value="${k.spend}">${usd(k.spend)} of ${usd(k.maxBudget)}${period}</span>`;
}

function limits(k: AdminKey): string {
  const parts = [k.rpmLimit !== null && `${int(k.rpmLimit)} rpm`, k.tpmLimit !== null && `${int(k.tpmLimit)} tpm`, k.maxParallelRequests !== null && `${int(k.maxParallelRequests)} parallel`].filter(Boolean);
  return parts.length ? parts.join(", ") : "none";
}

function actions(k: AdminKey): Html {
  const name = k.keyAlias ?? k.keyPrefix;
  const toggle = k.blocked ? { action: "unblock", label: "Unblock" } : { action: "block", label: "Block" };
  return html`<button type="button" data-action="${toggle.action}" data-key="${k.id}" data-name="${name}">${toggle.label}</button>
<button type="button" data-action="regenerate" data-key="${k.id}" data-name="${name}">Rotate</button>`;
}

export function keysBody(v: KeysView): Html {
  if (v.total === 0) {
    return emptyState("No keys yet.", html`Create one on the command line: <code>npx breakwater key create alice --claude-only --budget 5</code>, or with <code>POST /key/generate</code>.`);
  }
  return html`<p>${int(v.total)} keys. Select a column heading to sort.</p>
<div class="scroll"><table id="keys-table" class="sortable">
<thead><tr>
<th scope="col" data-sort="text">Alias</th><th scope="col" data-sort="text">Owner</th><th scope="col" data-sort="text">Models</th>
<th scope="col" data-sort="num">Budget used</th><th scope="col" data-sort="text">Limits</th><th scope="col" data-sort="text">Expires</th>
<th scope="col" data-sort="text">Status</th><th scope="col" data-sort="text">Last used</th><th scope="col">Actions</th>
</tr></thead>
<tbody>${v.keys.map((k) => {
    const s = status(k, v.now);
    return html`<tr data-key="${k.id}">
<th scope="row">${k.keyAlias ?? html`<span class="muted">(no alias)</span>`} <code class="muted">${k.keyPrefix}…</code></th>
<td>${[k.userId, k.teamId && `team ${k.teamId}`].filter(Boolean).join(", ") || "—"}</td>
<td>${k.models.length ? k.models.join(", ") : "all models"}</td>
<td data-value="${k.spend}">${budget(k)}</td>
<td>${limits(k)}</td>
<td>${when(k.expires)}</td>
<td><span class="badge ${s.cls}">${s.label}</span></td>
<td>${when(v.lastUsed.get(k.id))}</td>
<td class="actions">${actions(k)}</td>
</tr>`;
  })}</tbody>
</table></div>
${v.pages > 1
  ? html`<nav aria-label="Pages" class="pages">${v.page > 1 ? html`<a href="/ui/keys?page=${v.page - 1}">Previous</a>` : ""} Page ${v.page} of ${v.pages} ${v.page < v.pages ? html`<a href="/ui/keys?page=${v.page + 1}">Next</a>` : ""}</nav>`
  : ""}
${confirmDialog()}`;
}
