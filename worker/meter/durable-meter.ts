import type { Standing } from "./key-state.ts";
import type { AdmitRequest, AdmitResponse, LeaseSettleRequest, Meter, SettleRequest } from "./meter.ts";

/** The Workers meter: one Durable Object per key (worker/meter/key-meter-object.ts), reached by name. */
export class DurableMeter implements Meter {
  constructor(private readonly ns: DurableObjectNamespace) {}

  admit(req: AdmitRequest): Promise<AdmitResponse> {
    return this.call(req.keyId, "admit", req) as Promise<AdmitResponse>;
  }

  async settle(req: SettleRequest): Promise<Standing | null> {
    return (await this.call(req.keyId, "settle", req)) as Standing;
  }

  async settleLease(req: LeaseSettleRequest): Promise<Standing> {
    return (await this.call(req.keyId, "settle-lease", req)) as Standing;
  }

  async keyChanged(keyId: string): Promise<void> {
    await this.call(keyId, "changed", {});
  }

  private async call(keyId: string, op: string, body: unknown): Promise<unknown> {
    const stub = this.ns.get(this.ns.idFromName(keyId));
    const res = await stub.fetch(`https://meter/${op}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`meter ${op} failed: ${res.status} ${await res.text()}`);
    return res.json();
  }
}
