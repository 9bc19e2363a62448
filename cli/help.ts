// The overview help (`breakwater --help`, `breakwater key`); each command's own help lives with the command.
import type { Command } from "./command.ts";

export const GLOBAL_FLAGS_HELP = `Flags every command takes:
  --json          machine-readable output on stdout (one JSON document, no colours, no other text)
  --config FILE   config file (default ~/.config/breakwater/config.json)
  --url URL       gateway URL (overrides BREAKWATER_URL and the file)
  -h, --help      help for a command`;

export function overviewHelp(commands: readonly Command[], group?: string): string {
  const shown = group ? commands.filter((c) => c.name.startsWith(`${group} `)) : commands;
  const w = Math.max(...shown.map((c) => c.name.length));
  const list = shown.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join("\n");
  return `Usage: breakwater ${group ? `${group} ` : ""}COMMAND [flags]

Manages a Breakwater gateway through its admin API.

Commands:
${list}

${GLOBAL_FLAGS_HELP}

Configuration (environment variables win over the file, field by field):
  BREAKWATER_URL                   the gateway, e.g. https://gateway.example.com       file: "url"
  BREAKWATER_MASTER_KEY            the gateway's MASTER_KEY                            file: "masterKey"
  BREAKWATER_ACCESS_CLIENT_ID      Cloudflare Access service token, when the gateway   file: "accessClientId"
  BREAKWATER_ACCESS_CLIENT_SECRET  is behind Access                                    file: "accessClientSecret"
  The file is JSON; keep it private (chmod 600).

Exit codes: 0 ok, 1 the gateway could not be reached or answered an error, 2 usage error.
Run "breakwater COMMAND --help" for a command's flags.
`;
}
