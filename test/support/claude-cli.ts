// Locates the Claude Code CLI's native binary from the pinned npm package and runs `claude -p` against a gateway.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The platform package holds the real binary; the wrapper package links it at install time (when scripts run). */
export function claudeBinary(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve(`@anthropic-ai/claude-code-${process.platform}-${process.arch}/package.json`)), "claude"));
  } catch {
    // platform package not installed; fall back to the wrapper's own bin
  }
  candidates.push(join(dirname(require.resolve("@anthropic-ai/claude-code/package.json")), "bin", "claude.exe"));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Claude Code CLI binary not found (looked in ${candidates.join(", ")})`);
  return found;
}

export interface ClaudeResult {
  result: string;
  session_id: string;
  is_error: boolean;
  num_turns: number;
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
  [k: string]: unknown;
}

export interface RunClaudeOptions {
  args?: string[];
  /** A home directory the caller manages (to resume a session in a later run); a fresh one otherwise. */
  home?: string;
  timeoutMs?: number;
  /**
   * A Claude Code settings file (as `breakwater key create` writes it): passed with `--settings`, and then the
   * gateway URL and key come from the file alone, not from this helper's environment.
   */
  settingsFile?: string;
}

/** Runs `claude -p PROMPT --output-format json` with its own home, pointed at `baseUrl` with `apiKey`. */
export function runClaude(baseUrl: string, apiKey: string, prompt: string, opts: RunClaudeOptions = {}): Promise<ClaudeResult> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), "breakwater-claude-"));
  return new Promise((resolve, reject) => {
    execFile(
      claudeBinary(),
      ["-p", prompt, "--output-format", "json", ...(opts.settingsFile ? ["--settings", opts.settingsFile] : []), ...(opts.args ?? [])],
      {
        cwd: home,
        timeout: opts.timeoutMs ?? 90_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: home,
          ...(opts.settingsFile ? {} : { ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_AUTH_TOKEN: apiKey }),
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_AUTOUPDATER: "1",
        },
      },
      (err, stdout, stderr) => {
        if (!opts.home) rmSync(home, { recursive: true, force: true });
        try {
          resolve(JSON.parse(stdout) as ClaudeResult);
        } catch {
          reject(new Error(`claude -p failed (${err?.message ?? "no JSON"}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
