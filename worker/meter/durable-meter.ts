import type { SpendRow } from "../db/queries.ts";
import type { Standing } from "./key-state.ts";
import type { AdmitRequest, AdmitResponse, LeaseSettleRequest, Meter, SalvageReport, SetAsideChunk, SetAsideRows, SettleRequest, TouchRequest } from "./meter.ts";
import { encodeMeterCall } from "./row-batches.ts";

/** The Workers meter: one Durable Object per key (worker/meter/key-meter-object.ts), reached by name. */
export class DurableMeter implements Meter {
  constructor(private readonly ns: DurableObjectNamespace) {}

  admit(req: AdmitRequest): Promise<AdmitResponse> {
    return this.call(req.keyId, "admit", req) as Promise<AdmitResponse>;
  }

  async settle(req: SettleRequest): Promise<Standing | null> {
    const { row, ...control } = req;
    return (await this.call(req.keyId, "settle", control, row ? [row] : [])) as Standing;
  }

  async settleLease(req: LeaseSettleRequest): Promise<Standing> {
    return (await this.call(req.keyId, "settle-lease", req)) as Standing;
  }

  async touch(req: TouchRequest): Promise<void> {
    await this.call(req.keyId, "touch", req);
  }

  async keepRows(keyId: string, rows: SpendRow[]): Promise<void> {
    await this.call(keyId, "keep-rows", { keyId }, rows);
  }

  async keyChanged(keyId: string): Promise<void> {
    await this.call(keyId, "changed", {});
  }

  readonly setAside: SetAsideRows = {
    list: async (keyId) => ((await this.call(keyId, "set-aside", { keyId })) as { chunks: SetAsideChunk[] }).chunks,
    salvage: async (keyId) => (await this.call(keyId, "salvage", { keyId })) as SalvageReport,
    discard: async (keyId, names) => ((await this.call(keyId, "discard", { keyId, names })) as { discarded: number }).discarded,
  };

  private async call(keyId: string, op: string, control: unknown, rows: readonly SpendRow[] = []): Promise<unknown> {
    const stub = this.ns.get(this.ns.idFromName(keyId));
    const res = await stub.fetch(`https://meter/${op}`, { method: "POST", headers: { "content-type": "text/plain" }, body: encodeMeterCall(control, rows) });
    if (!res.ok) throw new Error(`meter ${op} failed: ${res.status} ${await res.text()}`);
    return res.json();
  }
}
