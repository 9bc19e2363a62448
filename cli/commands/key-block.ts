import type { KeyView } from "../api-types.ts";
import type { Command } from "../command.ts";
import { resolveKeyRef } from "../key-ref.ts";

export const keyRevoke: Command = {
  name: "key revoke",
  summary: "block a key (or delete it with --delete)",
  positionals: { min: 1, max: 1, names: "ALIAS|ID|KEY" },
  flags: { delete: { kind: "boolean" } },
  help: `Usage: breakwater key revoke ALIAS|ID|KEY [--delete]

Blocks the key: the gateway refuses it (401) until \`breakwater key unblock\`.
  --delete   delete it instead, for good (its spend history stays, without the key)`,

  async run(ctx) {
    const client = ctx.client();
    const { ref } = await resolveKeyRef(client, ctx.args.positionals[0]!);
    const name = ctx.args.positionals[0]!;
    if (ctx.args.flags.delete) {
      const res = await client.post<{ deleted_keys: string[] }>("/key/delete", { keys: [ref] });
      if (ctx.json) return ctx.printJson(res);
      return ctx.print(`Deleted key "${name}".\n`);
    }
    const view = await client.post<KeyView>("/key/block", { key: ref });
    if (ctx.json) return ctx.printJson(view);
    ctx.print(`Blocked key "${view.key_alias ?? view.token_id}": the gateway refuses it from now on. Undo with: breakwater key unblock ${view.key_alias ?? view.token_id}\n`);
  },
};

export const keyUnblock: Command = {
  name: "key unblock",
  summary: "accept a blocked key again",
  positionals: { min: 1, max: 1, names: "ALIAS|ID|KEY" },
  flags: {},
  help: `Usage: breakwater key unblock ALIAS|ID|KEY`,

  async run(ctx) {
    const client = ctx.client();
    const { ref } = await resolveKeyRef(client, ctx.args.positionals[0]!);
    const view = await client.post<KeyView>("/key/unblock", { key: ref });
    if (ctx.json) return ctx.printJson(view);
    ctx.print(`Unblocked key "${view.key_alias ?? view.token_id}".\n`);
  },
};
