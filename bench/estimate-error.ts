// How close the meter's reservation is to the bill: Claude-Code-shaped sessions through the gateway, each request's
// estimate computed with the gateway's own pure functions (estimateRequest, priceEstimate, the per-key memory fed
// the same way the gateway feeds it) and compared with the cost of the usage the emulator reported.
import { costOf, type TokenUsage } from "../worker/meter/cost.ts";
import { estimateParts, estimateRequest, priceEstimate, worstCase } from "../worker/meter/estimate.ts";
import { UsageMemory } from "../worker/meter/usage-memory.ts";
import { MODELS } from "../worker/models/catalog-data.ts";
import { ClaudeCodeSession } from "../test/support/claude-code-workload.ts";
import { percentile } from "./stats.ts";

export interface EstimateError {
  requests: number;
  /** |reserved − billed| / billed, in %. */
  medianAbsPct: number;
  p90AbsPct: number;
  /** Mean of (reserved − billed) / billed, in %: positive = reserves more than billed. */
  meanSignedPct: number;
  /** Share of requests whose reservation was below their bill, in %. */
  underPct: number;
  /** Reserved ÷ billed over the whole run. */
  totalRatio: number;
  /** What today's worst case would have reserved ÷ billed, for comparison. */
  worstRatio: number;
  /**
   * The two halves of the error apart. Input: |reserved − billed| / billed of the input side alone (plain input,
   * cache reads and writes), what the text count and the prefix memory decide. Output: the output tokens reserved ÷
   * those generated over the run, the headroom the key's answer history gives (answers vary tenfold from one turn to
   * the next, so this half is deliberately generous: it is what keeps parallel requests near the end of a budget
   * from overrunning it).
   */
  inputMedianAbsPct: number;
  inputP90AbsPct: number;
  outputRatio: number;
}

const SESSIONS = [
  { seed: "bench-main", model: "claude-sonnet-4-6", tokens: 120_000 },
  { seed: "bench-agent", model: "claude-sonnet-4-6", tokens: 100_000 },
  { seed: "bench-fast", model: "claude-haiku-4-5", tokens: 100_000 },
];
const ANSWERS = [300, 900, 150, 1500, 600, 80, 2000, 400];

export async function measureEstimateError(gatewayUrl: string, apiKey: string, turns: number): Promise<EstimateError> {
  const memory = new UsageMemory();
  const errors: number[] = [];
  let reservedTotal = 0;
  let billedTotal = 0;
  let worstTotal = 0;
  const inputErrors: number[] = [];
  let outputReserved = 0;
  let outputMade = 0;
  for (const spec of SESSIONS) {
    const session = new ClaudeCodeSession(spec);
    const row = MODELS.find((m) => m.name === spec.model)!;
    for (let t = 0; t < turns; t++) {
      const body = { ...session.next(ANSWERS[t % ANSWERS.length]!), stream: false };
      const text = JSON.stringify(body);
      const estimate = estimateRequest(body, { dialect: "anthropic", maxTokens: 32_000, price: row.price, caching: row.caching });
      const worst = worstCase(Buffer.byteLength(text), 32_000, row.price, estimate.shape.images).cost;
      const recall = memory.recall("bench");
      const reserved = priceEstimate(estimate, recall, worst).cost;
      const parts = estimateParts(estimate, recall);
      const res = await fetch(`${gatewayUrl}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": apiKey }, body: text });
      if (res.status !== 200) throw new Error(`estimate run: ${res.status} ${(await res.text()).slice(0, 300)}`);
      const usage = ((await res.json()) as { usage: TokenUsage }).usage;
      const billed = costOf(usage, row.price);
      const inputBilled = costOf({ ...usage, output_tokens: 0 }, row.price);
      const inputReserved = costOf(
        { input_tokens: parts.input, output_tokens: 0, cache_read_input_tokens: parts.cacheRead, cache_creation_input_tokens: parts.cacheWrite5m + parts.cacheWrite1h, cache_creation_1h_input_tokens: parts.cacheWrite1h },
        row.price,
      );
      // Ratios to the bill: a request billed nothing (the emulator always reports usage) has no relative error.
      if (!(billed > 0 && inputBilled > 0)) throw new Error(`estimate run: a request was billed $${billed} (input $${inputBilled}); its error is undefined`);
      inputErrors.push((inputReserved - inputBilled) / inputBilled);
      outputReserved += parts.output;
      outputMade += usage.output_tokens;
      memory.learn("bench", { outputTokens: usage.output_tokens, cacheTouched: usage.cache_read_input_tokens + usage.cache_creation_input_tokens > 0, prefixes: estimate.shape.prefixes });
      errors.push((reserved - billed) / billed);
      reservedTotal += reserved;
      billedTotal += billed;
      worstTotal += worst;
    }
  }
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  const inputAbs = inputErrors.map(Math.abs).sort((a, b) => a - b);
  return {
    requests: errors.length,
    medianAbsPct: percentile(abs, 50) * 100,
    p90AbsPct: percentile(abs, 90) * 100,
    meanSignedPct: (errors.reduce((s, e) => s + e, 0) / errors.length) * 100,
    underPct: (errors.filter((e) => e < 0).length / errors.length) * 100,
    totalRatio: reservedTotal / billedTotal,
    worstRatio: worstTotal / billedTotal,
    inputMedianAbsPct: percentile(inputAbs, 50) * 100,
    inputP90AbsPct: percentile(inputAbs, 90) * 100,
    // No output at all (not expected of these sessions) leaves the output side without a ratio.
    outputRatio: outputMade > 0 ? outputReserved / outputMade : Number.NaN,
  };
}
