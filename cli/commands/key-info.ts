import type { KeyInfoResponse } from "../api-types.ts";
import type { Command } from "../command.ts";
import { resolveKeyRef } from "../key-ref.ts";
import { keyDetails } from "../render/keys.ts";

export const keyInfo: Command = {
  name: "key info",
  summary: "show one key's settings and spend",
  positionals: { min: 1, max: 1, names: "ALIAS|ID|KEY" },
  flags: {},
  help: `Usage: breakwater key info ALIAS|ID|KEY

Shows a key named by its alias, its token id, or the key itself.`,

  async run(ctx) {
    const client = ctx.client();
    const { ref, view } = await resolveKeyRef(client, ctx.args.positionals[0]!);
    const info = view ?? (await client.get<KeyInfoResponse>("/key/info", { key: ref })).info;
    if (ctx.json) return ctx.printJson(info);
    ctx.print(keyDetails(info, ctx.now));
  },
};
