import { html } from "hono/html";
import { legend, stackedBarChart } from "../chart.ts";
import { int, usd } from "../format.ts";
import { emptyState, type Html } from "../layout.ts";
import type { SpendGroup, SpendSeries } from "../spend-series.ts";

export const PERIODS = [7, 30, 90] as const;
export type Period = (typeof PERIODS)[number];

export interface SpendView {
  days: Period;
  by: SpendGroup;
  first: string;
  last: string;
  data: SpendSeries;
  /** The same totals /spend/report gives for these dates. */
  total: { spend: number; requests: number; input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
}

function choice(label: string, href: string, current: boolean): Html {
  return html`<a class="choice" href="${href}"${current ? html` aria-current="true"` : ""}>${label}</a>`;
}

export function spendBody(v: SpendView): Html {
  const link = (days: number, by: string) => `/ui?days=${days}&by=${by}`;
  const controls = html`<div class="controls">
<div role="group" aria-label="Period">${PERIODS.map((d) => choice(`${d} days`, link(d, v.by), d === v.days))}</div>
<div role="group" aria-label="Stack by">${choice("By model", link(v.days, "model"), v.by === "model")}${choice("By key", link(v.days, "key"), v.by === "key")}</div>
</div>`;
  const summary = html`<dl class="summary">
<div><dt>Spend</dt><dd id="total-spend" data-value="${v.total.spend}">${usd(v.total.spend)}</dd></div>
<div><dt>Requests</dt><dd id="total-requests">${int(v.total.requests)}</dd></div>
<div><dt>Input tokens</dt><dd>${int(v.total.input_tokens)}</dd></div>
<div><dt>Output tokens</dt><dd>${int(v.total.output_tokens)}</dd></div>
<div><dt>Cache read / write</dt><dd>${int(v.total.cache_read_input_tokens)} / ${int(v.total.cache_creation_input_tokens)}</dd></div>
</dl>`;
  const period = `${v.first} to ${v.last} (UTC)`;
  if (v.total.requests === 0) {
    return html`${controls}<p>${period}</p>${emptyState(
      `No requests in the last ${v.days} days.`,
      html`Spend appears here a few seconds after a request is made with a key. Create a key on the command line (<code>npx breakwater key create alice --budget 5</code>) and point a client at the gateway, or try a longer period.`,
    )}`;
  }
  return html`${controls}
<p>${period}</p>
${summary}
<figure>
<div class="scroll">${stackedBarChart(v.data, `Spend per day, ${period}, stacked by ${v.by}`)}</div>
<figcaption>${legend(v.data)}</figcaption>
</figure>
<details>
<summary>Spend per day as a table</summary>
<div class="scroll"><table id="spend-table">
<thead><tr><th scope="col">Day</th>${v.data.series.map((s) => html`<th scope="col" class="num">${s.name}</th>`)}<th scope="col" class="num">Total</th></tr></thead>
<tbody>${v.data.days.map((d, i) => html`<tr><th scope="row">${d}</th>${v.data.series.map((s) => html`<td class="num">${usd(s.values[i]!)}</td>`)}<td class="num" data-day="${d}">${usd(v.data.dayTotals[i]!)}</td></tr>`)}</tbody>
</table></div>
</details>`;
}
