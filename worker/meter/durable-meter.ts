import type { SpendRow } from "../db/queries.ts";
import type { Standing } from "./key-state.ts";
import { MeterUnavailable, type AdmitRequest, type AdmitResponse, type LeaseSettleRequest, type Meter, type SalvageReport, type SetAsideChunk, type SetAsideListing, type SetAsideRows, type SettleRequest, type TouchRequest } from "./meter.ts";
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
    list: async (keyId, after) => (await this.call(keyId, "set-aside", { keyId, ...(after === undefined ? {} : { after }) })) as SetAsideListing,
    show: async (keyId, name) => ((await this.call(keyId, "set-aside-chunk", { keyId, name })) as { chunk: SetAsideChunk | null }).chunk,
    salvage: async (keyId) => (await this.call(keyId, "salvage", { keyId })) as SalvageReport,
    discard: async (keyId, names) => ((await this.call(keyId, "discard", { keyId, names })) as { discarded: number }).discarded,
  };

  /**
   * One call to the key's object. The runtime rejects a call it could not deliver (the object overloaded, reset by a
   * deployment, the network between them lost) and the object answers 500 when its own work failed (its storage):
   * both are MeterUnavailable, which callers answer with a 503 to retry. A 400 or 404 is a call the object does not
   * understand, a bug here, and stays a plain error.
   */
  private async call(keyId: string, op: string, control: unknown, rows: readonly SpendRow[] = []): Promise<unknown> {
    const body = encodeMeterCall(control, rows);
    let res: Response;
    try {
      res = await this.ns.get(this.ns.idFromName(keyId)).fetch(`https://meter/${op}`, { method: "POST", headers: { "content-type": "text/plain" }, body });
    } catch (err) {
      throw new MeterUnavailable(op, err);
    }
    if (res.status >= 500) throw new MeterUnavailable(op, new Error(`${res.status} ${await res.text()}`));
    if (!res.ok) throw new Error(`meter ${op} failed: ${res.status} ${await res.text()}`);
    return res.json();
  }
}
