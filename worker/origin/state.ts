/**
 * How the rest of the Worker reaches the origin's life (life.ts): on Workers through one Durable Object, by name,
 * so every isolate shares one record and one wake in flight; under Deno the process holds it directly.
 */
import type { OriginConfig } from "./config.ts";
import { Ec2Client, Ec2Error } from "./ec2.ts";
import { OriginLife, type IdleResult, type LifeStore, type OriginStatus, type WakeResult } from "./life.ts";

export interface OriginState {
  touch(): Promise<void>;
  wake(): Promise<WakeResult>;
  idleCheck(): Promise<IdleResult>;
  stop(): Promise<IdleResult>;
  status(): Promise<OriginStatus>;
}

export type OriginOp = "touch" | "wake" | "idleCheck" | "stop" | "status";
export const ORIGIN_OPS: readonly OriginOp[] = ["touch", "wake", "idleCheck", "stop", "status"];

export function originLife(config: OriginConfig, store: LifeStore): OriginLife {
  const ec2 = config.instanceId
    ? new Ec2Client({ endpoint: config.ec2Endpoint, region: config.region, instanceId: config.instanceId, credentials: config.credentials })
    : null;
  return new OriginLife(ec2, { idleMs: config.idleMs, bootGraceMs: config.bootGraceMs, wakeWaitMs: config.wakeWaitMs }, store);
}

/** A store that forgets on restart: a single process (Deno, tests). */
export function memoryStore(): LifeStore {
  let saved: Parameters<LifeStore["save"]>[0] | undefined;
  return {
    load: async () => saved,
    save: async (r) => {
      saved = r;
    },
  };
}

/** Runs one operation on a life and turns the outcome into a JSON answer (Ec2Error travels as data). */
export async function runOp(life: OriginLife, op: OriginOp): Promise<Response> {
  try {
    return Response.json({ ok: true, value: (await life[op]()) ?? null });
  } catch (e) {
    if (e instanceof Ec2Error) return Response.json({ ok: false, ec2: { status: e.status, code: e.code, message: e.message } });
    throw e;
  }
}

/** The Workers side: every isolate talks to the one object named "origin". */
export class DurableOriginState implements OriginState {
  constructor(private readonly ns: DurableObjectNamespace) {}

  touch = () => this.call<void>("touch");
  wake = () => this.call<WakeResult>("wake");
  idleCheck = () => this.call<IdleResult>("idleCheck");
  stop = () => this.call<IdleResult>("stop");
  status = () => this.call<OriginStatus>("status");

  private async call<T>(op: OriginOp): Promise<T> {
    const stub = this.ns.get(this.ns.idFromName("origin"));
    const res = await stub.fetch(`https://origin-state/${op}`, { method: "POST" });
    if (!res.ok) throw new Error(`origin state ${op} failed: ${res.status}`);
    const out = (await res.json()) as { ok: true; value: T } | { ok: false; ec2: { status: number; code: string; message: string } };
    if (!out.ok) throw new Ec2Error(out.ec2.status, out.ec2.code, out.ec2.message.replace(/^[^:]*: /, ""));
    return out.value;
  }
}
