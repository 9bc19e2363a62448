import type { SalvageResponse, SetAsideChunkResponse, SetAsideResponse } from "../api-types.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { resolveKeyRef } from "../key-ref.ts";
import { count } from "../render/format.ts";
import { renderTable } from "../render/table.ts";

export const unreadable: Command = {
  name: "unreadable",
  summary: "spend rows a key's meter could not read: list, salvage, discard",
  positionals: { min: 1, max: 1, names: "ALIAS|ID|KEY" },
  flags: { salvage: { kind: "boolean" }, discard: { kind: "string" }, show: { kind: "string" }, after: { kind: "string" } },
  help: `Usage: breakwater unreadable ALIAS|ID|KEY [--after NAME | --salvage | --discard NAME,NAME… | --show NAME]

Spend rows waiting in a key's meter that its flush could not read (damaged or malformed), set aside so the rest of
the key's spend is still written. Without a flag, lists them (50 at a time) with the reason each cannot be read.
  --after NAME     lists the chunks after NAME (the next page, as the listing tells)
  --salvage        writes every row that can be billed to the spend log (a row without its request id gets one made
                   from its chunk's name, so salvaging twice never bills twice); chunks that are not rows at all stay
  --show NAME      prints one chunk's whole text, to see what it held
  --discard NAMES  removes chunks once you have handled them (comma-separated names, as listed)`,

  async run(ctx) {
    const f = ctx.args.flags;
    const chosen = ["salvage", "discard", "show", "after"].filter((n) => f[n] !== undefined);
    if (chosen.length > 1) throw new UsageError(`--${chosen[0]} and --${chosen[1]} cannot be combined`, "unreadable");
    const names = typeof f.discard === "string" ? f.discard.split(",").map((n) => n.trim()).filter(Boolean) : [];
    if (f.discard !== undefined && names.length === 0) throw new UsageError("--discard needs the names of the chunks to remove", "unreadable");
    const client = ctx.client();
    const { ref } = await resolveKeyRef(client, ctx.args.positionals[0]!);

    if (f.salvage) {
      const r = await client.post<SalvageResponse>("/spend/unreadable/salvage", { key: ref });
      if (ctx.json) return ctx.printJson(r);
      ctx.print(`Salvaged ${count(r.rows)} row${r.rows === 1 ? "" : "s"} from ${count(r.chunks)} chunk${r.chunks === 1 ? "" : "s"}` + (r.dropped ? ` (${count(r.dropped)} entries were not rows)` : "") + ".\n");
      for (const k of r.kept) ctx.print(`Kept ${k.name}: ${k.problem}\n`);
      return;
    }
    if (names.length) {
      const r = await client.post<{ key: string; discarded: number }>("/spend/unreadable/discard", { key: ref, chunks: names });
      if (ctx.json) return ctx.printJson(r);
      return ctx.print(`Discarded ${count(r.discarded)} of ${count(names.length)} chunk${names.length === 1 ? "" : "s"}.\n`);
    }
    if (typeof f.show === "string") {
      const { chunk } = await client.get<SetAsideChunkResponse>("/spend/unreadable/chunk", { key: ref, name: f.show });
      if (ctx.json) return ctx.printJson(chunk);
      return ctx.print(`${chunk.text}\n`);
    }
    const listed = await client.get<SetAsideResponse>("/spend/unreadable", { key: ref, ...(typeof f.after === "string" ? { after: f.after } : {}) });
    if (ctx.json) return ctx.printJson(listed);
    if (listed.chunks.length === 0) return ctx.print(f.after === undefined ? "No spend rows are set aside for this key.\n" : `No spend rows are set aside after ${f.after}.\n`);
    ctx.print(
      renderTable(
        [{ header: "CHUNK" }, { header: "SIZE", align: "right" }, { header: "WHY", maxWidth: 60 }],
        listed.chunks.map((c) => [c.name, count(c.bytes), c.problem]),
        { color: ctx.color },
      ),
    );
    if (listed.next !== null) ctx.print(`\nMore follow: breakwater unreadable ${ctx.args.positionals[0]} --after ${listed.next}\n`);
    ctx.print("\nbreakwater unreadable KEY --salvage bills what can be read; --show NAME prints a chunk; --discard NAME removes it.\n");
  },
};
