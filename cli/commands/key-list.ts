import type { KeyListResponse, KeyView } from "../api-types.ts";
import type { Command } from "../command.ts";
import { keyTable } from "../render/keys.ts";

const PAGE_SIZE = 100;

export const keyList: Command = {
  name: "key list",
  summary: "list keys (newest first)",
  positionals: { min: 0, max: 0, names: "" },
  flags: { user: { kind: "string" }, team: { kind: "string" } },
  help: `Usage: breakwater key list [--user ID] [--team ID]

Lists every key (newest first): alias, start of the key, models, spend and budget, rate limits, expiry, blocked.
  --user ID   only this user's keys
  --team ID   only this team's keys`,

  async run(ctx) {
    const { flags } = ctx.args;
    const client = ctx.client();
    const keys: KeyView[] = [];
    for (let page = 1; ; page++) {
      const res = await client.get<KeyListResponse>("/key/list", { page, size: PAGE_SIZE, user_id: flags.user as string | undefined, team_id: flags.team as string | undefined });
      keys.push(...res.keys);
      if (page >= res.total_pages || res.keys.length === 0) break;
    }
    if (ctx.json) return ctx.printJson(keys);
    if (keys.length === 0) return ctx.print("No keys. Make one with: breakwater key create NAME\n");
    ctx.print(keyTable(keys, ctx.now, ctx.color));
  },
};
