import { resolve } from "node:path";
import type { KeyWithSecret } from "../api-types.ts";
import { checkSettingsTarget, claudeSettings, readSettingsFile, withNewConnection, writeSettingsFile } from "../claude-settings.ts";
import type { Command } from "../command.ts";
import { CliError } from "../errors.ts";
import { resolveKeyRef } from "../key-ref.ts";
import { claudeModelsFor } from "../models.ts";
import { instant } from "../render/format.ts";
import { parseGrace } from "../values.ts";

export const keyRotate: Command = {
  name: "key rotate",
  summary: "give a key a new secret (the old one can keep working for a grace period)",
  positionals: { min: 1, max: 1, names: "ALIAS|ID|KEY" },
  flags: { grace: { kind: "string" }, "settings-file": { kind: "string" } },
  help: `Usage: breakwater key rotate ALIAS|ID|KEY [--grace 24h] [--settings-file PATH]

Replaces the key's secret; its settings, spend and id stay. Prints the new key once.
  --grace D             the previous key keeps working for D (at most 30d; default 0: it stops now)
  --settings-file PATH  put the new key into this Claude Code settings file (other settings in it are kept;
                        a missing file is created)`,

  async run(ctx) {
    const { flags } = ctx.args;
    const grace = typeof flags.grace === "string" ? parseGrace("grace", flags.grace) : "0";
    const settingsPath = typeof flags["settings-file"] === "string" ? resolve(ctx.io.cwd, flags["settings-file"]) : null;
    // Read it before rotating: a file we could not update is better found while the old key still works.
    const existing = settingsPath ? readSettingsFile(settingsPath) : null;
    if (settingsPath && !existing) checkSettingsTarget(settingsPath, false);

    const config = ctx.config();
    const client = ctx.client();
    const { ref } = await resolveKeyRef(client, ctx.args.positionals[0]!);
    const rotated = await client.post<KeyWithSecret>("/key/regenerate", { key: ref, grace_period: grace });

    let writeError: unknown;
    if (settingsPath) {
      const connection = { baseUrl: config.url, key: rotated.key, access: config.access };
      try {
        writeSettingsFile(settingsPath, existing ? withNewConnection(existing, connection) : claudeSettings({ ...connection, models: claudeModelsFor(rotated.models) }));
      } catch (e) {
        writeError = e;
      }
    }
    const written = settingsPath !== null && writeError === undefined;

    if (ctx.json) ctx.printJson({ ...rotated, settings_file: written ? settingsPath : null });
    else {
      ctx.print(`Rotated key "${rotated.key_alias ?? rotated.token_id}". New key:\n\n    ${rotated.key}\n\n`);
      ctx.warn("this is the only time the new key is shown. Store it now.");
      ctx.print(rotated.grace_expires ? `The previous key keeps working until ${instant(rotated.grace_expires)}.\n` : "The previous key no longer works.\n");
      if (written) ctx.print(`Claude Code settings updated (mode 0600): ${settingsPath}\n`);
    }
    if (writeError !== undefined) {
      throw new CliError(`the key was rotated, but the settings file ${settingsPath} could not be written: ${(writeError as Error).message}`, 1);
    }
  },
};
