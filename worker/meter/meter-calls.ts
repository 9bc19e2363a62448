// What the key's object accepts from isolates, checked before it acts on it. The object is reached only by the
// gateway's own isolates, but those may run an older or newer deployment during a rollout, and a mistake in either
// must be refused with what was wrong (a 400 the caller logs) rather than half-applied to a key's counters or thrown
// as a bare 500. Loose objects and optional new fields: a field added later must not make an older object refuse a
// newer isolate's call, nor the reverse.
import * as z from "zod/mini";
import { describeIssues } from "../util/zod-issues.ts";

// Numbers are checked as numbers, not ranges: amounts an isolate computed by subtraction may be a hair below zero.
const count = z.number();
const nullableCount = z.nullable(count);

const Limits = z.looseObject({
  rpm: nullableCount,
  tpm: nullableCount,
  parallel: nullableCount,
  maxBudget: nullableCount,
  budgetDuration: z.nullable(z.string()),
  timezone: z.string(),
  budgetResetAt: z.nullable(z.number()),
  budgetMode: z.optional(z.enum(["standard", "strict"])),
});

const Usage = z.looseObject({ tokens: count, cost: count });

const Admit = z.looseObject({
  keyId: z.string(),
  reservationId: z.string(),
  limits: Limits,
  estimate: z.looseObject({ tokens: count, cost: count, worst: z.optional(count) }),
  recordLoadedAt: z.number(),
  knownSpend: z.number(),
  lease: z.optional(z.looseObject({ id: z.string(), amount: count, requests: z.optional(count) })),
  reported: z.optional(z.boolean()),
});

const Settle = z.looseObject({ keyId: z.string(), reservationId: z.string(), limits: Limits, actual: Usage });

const SettleLease = z.looseObject({
  keyId: z.string(),
  leaseId: z.string(),
  limits: Limits,
  actual: Usage,
  holding: count,
  release: z.boolean(),
  admitted: z.optional(count),
  tokensHeld: z.optional(count),
  closed: z.optional(z.boolean()),
  inflight: z.optional(count),
});

const Touch = z.looseObject({ keyId: z.string(), reservationIds: z.array(z.string()) });

const KeyOnly = z.looseObject({ keyId: z.string() });

/** Every operation the object serves, with the control message it takes (meter.ts has their types). */
const METER_CALLS: Record<string, z.ZodMiniType> = {
  admit: Admit,
  settle: Settle,
  "settle-lease": SettleLease,
  touch: Touch,
  "keep-rows": KeyOnly,
  changed: z.unknown(),
  "set-aside": z.looseObject({ keyId: z.string(), after: z.optional(z.string()) }),
  "set-aside-chunk": z.looseObject({ keyId: z.string(), name: z.string() }),
  salvage: KeyOnly,
  discard: z.looseObject({ keyId: z.string(), names: z.array(z.string()) }),
};

/** The control message of a call to `op` if it is well formed, or what is wrong with the call. */
export function checkMeterCall(op: string, control: unknown): { ok: true; control: unknown } | { ok: false; status: 400 | 404; problem: string } {
  const schema = Object.hasOwn(METER_CALLS, op) ? METER_CALLS[op] : undefined;
  if (!schema) return { ok: false, status: 404, problem: `unknown meter operation ${JSON.stringify(op)}` };
  const parsed = schema.safeParse(control);
  if (parsed.success) return { ok: true, control: parsed.data };
  return { ok: false, status: 400, problem: `malformed ${op}: ${describeIssues(parsed.error.issues, "control")}` };
}
