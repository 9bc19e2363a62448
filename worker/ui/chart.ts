import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { usd } from "./format.ts";
import type { SpendSeries } from "./spend-series.ts";

// A stacked bar chart drawn on the server as SVG: no script, nothing for the CSP to allow, about 3 KiB of code
// instead of a charting library in the Worker bundle. Pure: series in, markup out.

/**
 * Okabe–Ito: eight colours chosen to stay distinct under the common colour-vision deficiencies; the last series
 * ("Other") is grey. The legend and the data table beside the chart name every series, so colour is never the
 * only way to tell them apart.
 */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];

const W = 720;
const H = 260;
const PAD = { top: 12, right: 12, bottom: 28, left: 56 };

/** 1, 2 or 5 × a power of ten, so the axis reads $0, $0.50, $1.00… rather than $0, $0.37, $0.74… */
export function niceStep(max: number, ticks = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

export function stackedBarChart(data: SpendSeries, title: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  const maxTotal = Math.max(0, ...data.dayTotals);
  const step = niceStep(maxTotal);
  const top = Math.max(step, Math.ceil(maxTotal / step) * step);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, data.days.length);
  const barW = Math.max(1, slot * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  // Label at most ~10 days so 90 bars stay readable.
  const labelEvery = Math.ceil(data.days.length / 10);
  // Enough decimals that neighbouring ticks differ ($0.0005, $0.0010…), never fewer than cents.
  const tickDigits = Math.max(2, Math.ceil(-Math.log10(step)));

  const bars = data.days.map((day, i) => {
    let base = 0;
    const x = PAD.left + i * slot + (slot - barW) / 2;
    return data.series.map((s, si) => {
      const v = s.values[i]!;
      if (v <= 0) return "";
      const y0 = y(base);
      base += v;
      const y1 = y(base);
      return html`<rect x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${day} · ${s.name}: ${usd(v)}</title></rect>`;
    });
  });

  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title" preserveAspectRatio="xMidYMid meet">
<title id="chart-title">${title}</title>
${ticks.map((v) => html`<g class="tick"><line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${usd(v, tickDigits)}</text></g>`)}
${bars}
${data.days.map((day, i) => (i % labelEvery === 0 ? html`<text class="day" x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${day.slice(5)}</text>` : ""))}
</svg>`;
}

/** The colour key, in stacking order (bottom first). */
export function legend(data: SpendSeries): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<ul class="legend">${data.series.map((s, i) => html`<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/></svg> ${s.name} <span class="num">${usd(s.total)}</span></li>`)}</ul>`;
}
