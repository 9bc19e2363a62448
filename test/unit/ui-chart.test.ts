import { describe, expect, it } from "vitest";
import { legend, niceStep, PALETTE, stackedBarChart } from "../../worker/ui/chart.ts";
import type { SpendSeries } from "../../worker/ui/spend-series.ts";

const data: SpendSeries = {
  days: ["2026-12-01", "2026-12-02"],
  series: [
    { name: "claude-sonnet-4-6", values: [1, 0], total: 1 },
    { name: "<script>", values: [0.5, 2], total: 2.5 },
  ],
  dayTotals: [1.5, 2],
};

describe("niceStep", () => {
  it("steps by 1, 2 or 5 times a power of ten", () => {
    expect(niceStep(4)).toBe(1);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(0.37)).toBe(0.1);
    expect(niceStep(180)).toBe(50);
    expect(niceStep(0)).toBe(1);
  });
});

describe("stackedBarChart", () => {
  const svg = String(stackedBarChart(data, "Spend per day"));

  it("draws one rectangle per non-zero value, coloured by series, titled with day, name and amount", () => {
    const rects = [...svg.matchAll(/<rect [^>]*fill="([^"]+)"><title>([^<]+)<\/title>/g)];
    expect(rects.map((r) => [r[1], r[2]])).toEqual([
      [PALETTE[0], "2026-12-01 · claude-sonnet-4-6: $1.00"],
      [PALETTE[1], "2026-12-01 · &lt;script&gt;: $0.50"],
      [PALETTE[1], "2026-12-02 · &lt;script&gt;: $2.00"],
    ]);
  });

  it("stacks: the second segment of a day sits on top of the first", () => {
    const ys = [...svg.matchAll(/<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const [first, second] = ys as [[number, number], [number, number]];
    expect(second[0] + second[1]).toBeCloseTo(first[0], 0);
  });

  it("is an accessible image with an escaped title and dollar ticks", () => {
    expect(svg).toMatch(/^<svg class="chart"[^>]* role="img" aria-labelledby="chart-title"/);
    expect(svg).toContain('<title id="chart-title">Spend per day</title>');
    expect(svg).toContain(">$2.00</text>");
    expect(svg).not.toContain("<script>");
  });

  it("lists every series in the legend with its total", () => {
    const l = String(legend(data));
    expect(l).toContain(`fill="${PALETTE[0]}"/></svg> claude-sonnet-4-6 <span class="num">$1.00</span>`);
    expect(l).toContain("&lt;script&gt; <span class=\"num\">$2.50</span>");
  });
});

describe("usd", () => {
  it("shows cents, and two significant digits below a cent", async () => {
    const { usd } = await import("../../worker/ui/format.ts");
    // Half up on the decimal the report shows (toFixed alone gives $1.00 and $2.67 for these binary fractions).
    expect(usd(1.005)).toBe("$1.01");
    expect(usd(2.675)).toBe("$2.68");
    expect(usd(1.004999)).toBe("$1.00");
    expect(usd(0)).toBe("$0.00");
    expect(usd(0.0123)).toBe("$0.01");
    expect(usd(0.000135)).toBe("$0.00014");
    expect(usd(0.5, 4)).toBe("$0.5000");
  });
});
