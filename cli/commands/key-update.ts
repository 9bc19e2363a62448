import type { KeyView } from "../api-types.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { KEY_SETTING_FLAGS, KEY_SETTING_HELP, keyFieldsFromFlags } from "../key-flags.ts";
import { resolveKeyRef } from "../key-ref.ts";
import { keyDetails } from "../render/keys.ts";

export const keyUpdate: Command = {
  name: "key update",
  summary: "change a key's limits, models, expiry or alias",
  positionals: { min: 1, max: 1, names: "ALIAS|ID|KEY" },
  flags: { ...KEY_SETTING_FLAGS, alias: { kind: "string" }, "reset-spend": { kind: "boolean" } },
  help: `Usage: breakwater key update ALIAS|ID|KEY [flags]

Changes only what the flags name; everything else stays.

${KEY_SETTING_HELP}
  --alias NAME          rename the key
  --reset-spend         start the key's spend again from 0

Example:
  breakwater key update alice --budget 20 --rpm none`,

  async run(ctx) {
    const fields = keyFieldsFromFlags(ctx.args.flags, ctx.now);
    if (typeof ctx.args.flags.alias === "string") fields.key_alias = ctx.args.flags.alias;
    if (ctx.args.flags["reset-spend"]) fields.spend = 0;
    if (Object.keys(fields).length === 0) throw new UsageError("nothing to update: give at least one flag (see breakwater key update --help)", "key update");
    const client = ctx.client();
    const { ref } = await resolveKeyRef(client, ctx.args.positionals[0]!);
    const updated = await client.post<KeyView>("/key/update", { key: ref, ...fields });
    if (ctx.json) return ctx.printJson(updated);
    ctx.print(`Updated key "${updated.key_alias ?? updated.token_id}".\n`);
    ctx.print(keyDetails(updated, ctx.now));
  },
};
