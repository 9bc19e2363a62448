import { resolve } from "node:path";
import type { KeyWithSecret } from "../api-types.ts";
import { checkSettingsTarget, claudeSettings, defaultSettingsPath, writeSettingsFile } from "../claude-settings.ts";
import type { Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { KEY_SETTING_FLAGS, KEY_SETTING_HELP, keyFieldsFromFlags } from "../key-flags.ts";
import { chatModelNames, claudeModelsFor, singleModelChoice } from "../models.ts";
import { keyDetails } from "../render/keys.ts";

export const keyCreate: Command = {
  name: "key create",
  summary: "make a key and a Claude Code settings file for it",
  positionals: { min: 1, max: 1, names: "NAME" },
  flags: {
    ...KEY_SETTING_FLAGS,
    model: { kind: "string" },
    "settings-file": { kind: "string" },
    "no-settings": { kind: "boolean" },
    force: { kind: "boolean" },
  },
  help: `Usage: breakwater key create NAME [flags]

Makes a key named NAME (its alias, unique) and prints it once. Also writes a Claude Code settings file for it
(mode 0600): run \`claude --settings FILE\`, or copy its "env" into ~/.claude/settings.json.

${KEY_SETTING_HELP}
  --model NAME          Claude Code uses this chat model for everything (main and background calls), e.g.
                        qwen3-coder-480b or nova-pro; without --models the key may use only this model  --settings-file PATH  where to write the settings (default ./claude-settings.NAME.json)
  --no-settings         write no settings file
  --force               replace an existing settings file

Example:
  breakwater key create alice --claude-only --budget 5 --duration 1d --rpm 60 --tpm 200k --expires 30d
  breakwater key create bob --model qwen3-coder-480b --budget 2`,

  async run(ctx) {
    const name = ctx.args.positionals[0]!;
    const { flags } = ctx.args;
    const fields = keyFieldsFromFlags(flags, ctx.now);
    if (flags["no-settings"] && flags["settings-file"] !== undefined) throw new UsageError("give --settings-file or --no-settings, not both");
    const settingsPath = flags["no-settings"]
      ? null
      : typeof flags["settings-file"] === "string"
        ? resolve(ctx.io.cwd, flags["settings-file"])
        : defaultSettingsPath(ctx.io.cwd, name);
    const only = typeof flags.model === "string" ? singleModelChoice(flags.model) : null;
    if (typeof flags.model === "string") {
      if (!only) throw new UsageError(`--model must be a chat model of the catalog, not "${flags.model}" (one of: ${chatModelNames().join(", ")})`);
      const listed = fields.models as string[] | undefined;
      if (listed === undefined) fields.models = [flags.model];
      else if (listed.length > 0 && !listed.includes(flags.model) && !listed.some((m) => m.startsWith("all-"))) throw new UsageError(`--model ${flags.model} is not among the key's --models`);
    }
    if (settingsPath) checkSettingsTarget(settingsPath, flags.force === true);

    const config = ctx.config();
    const created = await ctx.client().post<KeyWithSecret>("/key/generate", { key_alias: name, ...fields });

    let writeError: unknown;
    if (settingsPath) {
      const models = only ?? claudeModelsFor(created.models);
      if (!models) ctx.warn("the key may use no Claude model: the settings file names no model, so Claude Code will ask for its defaults and be refused");
      try {
        writeSettingsFile(settingsPath, claudeSettings({ baseUrl: config.url, key: created.key, access: config.access, models }));
      } catch (e) {
        writeError = e;
      }
    }
    const written = settingsPath !== null && writeError === undefined;

    if (ctx.json) ctx.printJson({ ...created, settings_file: written ? settingsPath : null });
    else {
      ctx.print(`Created key "${name}".\n\n    ${created.key}\n\n`);
      ctx.warn("this is the only time the key is shown: the gateway keeps only its hash. Store it now.");
      ctx.print(keyDetails(created, ctx.now));
      if (written) ctx.print(`\nClaude Code settings (mode 0600): ${settingsPath}\n    claude --settings ${settingsPath}\n`);
    }
    if (writeError !== undefined) {
      throw new CliError(`the key was created, but the settings file ${settingsPath} could not be written: ${(writeError as Error).message}`, 1);
    }
  },
};
