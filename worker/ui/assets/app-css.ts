// The dashboard's stylesheet, served from /ui/assets/app.css (the CSP allows no inline style). Plain CSS: system
// fonts, high contrast, a layout that folds to one column on a phone, and focus rings that are always visible.
export const APP_CSS = String.raw`
:root { --fg: #1a1a1a; --muted: #595959; --bg: #fff; --line: #d0d0d0; --accent: #0059a3; --ok: #1b6e3a; --bad: #a3262a; --warn: #7a5200; --panel: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 10; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.logout { margin-left: auto; }
main { padding: 16px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0 0 12px; }
h2 { font-size: 1.2rem; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--muted); border-radius: 4px; background: var(--bg); color: var(--fg); cursor: pointer; min-height: 32px; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
input, select { font: inherit; padding: 4px 6px; border: 1px solid var(--muted); border-radius: 4px; min-height: 32px; max-width: 100%; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; word-break: break-all; }
.muted { color: var(--muted); }
.error { color: var(--bad); font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 12px 24px; margin-bottom: 8px; }
.choice { display: inline-block; padding: 4px 10px; border: 1px solid var(--line); text-decoration: none; }
.choice[aria-current="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
.summary, .facts { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 12px 0; }
.summary dt, .facts dt { color: var(--muted); font-size: 0.85rem; }
.summary dd, .facts dd { margin: 0; font-size: 1.25rem; font-variant-numeric: tabular-nums; }
figure { margin: 0 0 16px; }
/* Below ~560 px the axis text would shrink past reading: the chart scrolls sideways in its box instead. */
.chart { width: 100%; min-width: 560px; height: auto; max-height: 360px; }
.chart .tick line { stroke: var(--line); }
.chart text { font-size: 11px; fill: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 20px; list-style: none; padding: 0; margin: 8px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--panel); white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
th button.sort { border: 0; background: none; padding: 0; font-weight: 700; min-height: 0; }
th[aria-sort="ascending"] button.sort::after { content: " \25B2"; }
th[aria-sort="descending"] button.sort::after { content: " \25BC"; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; border: 1px solid currentColor; font-size: 0.85rem; }
.badge.ok { color: var(--ok); } .badge.bad { color: var(--bad); font-weight: 700; } .badge.warn { color: var(--warn); }
.actions { white-space: nowrap; }
meter { width: 100px; }
.filters { display: flex; flex-wrap: wrap; align-items: end; gap: 8px 16px; margin-bottom: 12px; }
.filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
.empty { border: 1px dashed var(--muted); padding: 16px; background: var(--panel); }
.login { display: flex; flex-direction: column; gap: 8px; max-width: 420px; }
.hint { color: var(--muted); font-size: 0.9rem; }
dialog { max-width: min(520px, 92vw); border: 1px solid var(--muted); }
dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; }
.result { background: var(--panel); padding: 8px; }
@media (max-width: 640px) { main { padding: 8px; } th, td { padding: 4px; } }
`;
