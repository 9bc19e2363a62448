// The parts of DurableObjectState the key meter object uses, over a Map: Miniflare gives a test no way to write an
// object's storage directly, so tests that need set-aside or stored rows in it run the object over this stand-in.
/**
 * The parts of DurableObjectState the meter object uses, over a Map. Values are stored and read as structured clones,
 * as the real storage does: an object changed after it was put is not changed in storage until it is put again.
 */
export function storageStandIn() {
  const data = new Map<string, unknown>();
  let alarm: number | null = null;
  const storage = {
    async get<T>(key: string): Promise<T | undefined> {
      return structuredClone(data.get(key)) as T | undefined;
    },
    async put(keyOrEntries: string | Record<string, unknown>, value?: unknown): Promise<void> {
      if (typeof keyOrEntries === "string") data.set(keyOrEntries, structuredClone(value));
      else for (const [k, v] of Object.entries(keyOrEntries)) data.set(k, structuredClone(v));
    },
    async delete(keys: string | string[]): Promise<boolean | number> {
      if (typeof keys === "string") return data.delete(keys);
      if (keys.length > 128) throw new Error("the storage API deletes at most 128 keys per call");
      return keys.filter((k) => data.delete(k)).length;
    },
    async list<T>(opts: { prefix: string; limit?: number; startAfter?: string }): Promise<Map<string, T>> {
      const keys = [...data.keys()].filter((k) => k.startsWith(opts.prefix) && (opts.startAfter === undefined || k > opts.startAfter)).sort();
      return new Map(keys.slice(0, opts.limit ?? keys.length).map((k) => [k, structuredClone(data.get(k)) as T]));
    },
    async getAlarm(): Promise<number | null> {
      return alarm;
    },
    async setAlarm(at: number): Promise<void> {
      alarm = at;
    },
  };
  const ctx = { storage, blockConcurrencyWhile: async <T>(f: () => Promise<T>) => f() };
  return { ctx: ctx as unknown as DurableObjectState, data, alarm: () => alarm };
}

