// The Claude Code settings file a new key comes with: `claude --settings FILE` (or copy its "env" into
// ~/.claude/settings.json) and Claude Code talks to the gateway with that key, through Access when there is one.
import { closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync, chmodSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { AccessToken } from "./config.ts";
import { UsageError } from "./errors.ts";
import type { ClaudeModelChoice } from "./models.ts";

export interface SettingsInput {
  baseUrl: string;
  key: string;
  access: AccessToken | undefined;
  /** Null when the key may use no Claude model: the model settings are then left to Claude Code. */
  models: ClaudeModelChoice | null;
}

export type ClaudeSettings = { $schema?: string; env: Record<string, string>; [k: string]: unknown };

const SCHEMA = "https://json.schemastore.org/claude-code-settings.json";

/** The settings for a key. Pure. Env names are those Claude Code reads (its settings "env" block). */
export function claudeSettings(input: SettingsInput): ClaudeSettings {
  const env: Record<string, string> = {
    ...connectionEnv(input),
    ...(input.models
      ? {
          ANTHROPIC_MODEL: input.models.main,
          ANTHROPIC_DEFAULT_SONNET_MODEL: input.models.sonnet,
          ANTHROPIC_DEFAULT_HAIKU_MODEL: input.models.haiku,
          ANTHROPIC_DEFAULT_OPUS_MODEL: input.models.opus,
          ...(input.models.smallFast ? { ANTHROPIC_SMALL_FAST_MODEL: input.models.smallFast } : {}),
        }
      : {}),
    // No telemetry, error reporting or update checks: they would go around the gateway (and Access would block them).
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
  return { $schema: SCHEMA, env };
}

/**
 * The settings after a key rotation: the connection (URL, key, Access headers) replaced, everything else the file
 * holds (models chosen by hand, permissions, hooks) kept. Pure.
 */
export function withNewConnection(existing: ClaudeSettings, input: Omit<SettingsInput, "models">): ClaudeSettings {
  const env = { ...existing.env, ...connectionEnv(input) };
  // Other custom headers the file may carry stay; only the Access lines are replaced (or dropped with no token).
  const others = (existing.env.ANTHROPIC_CUSTOM_HEADERS ?? "").split(/\r?\n/).filter((l) => l.trim() !== "" && !ACCESS_HEADER_LINE.test(l));
  const headers = [...others, ...(input.access ? accessHeaderLines(input.access) : [])];
  if (headers.length > 0) env.ANTHROPIC_CUSTOM_HEADERS = headers.join("\n");
  else delete env.ANTHROPIC_CUSTOM_HEADERS;
  return { ...existing, env };
}

const ACCESS_HEADER_LINE = /^\s*cf-access-client-(id|secret)\s*:/i;

function accessHeaderLines(access: AccessToken): string[] {
  return [`CF-Access-Client-Id: ${access.clientId}`, `CF-Access-Client-Secret: ${access.clientSecret}`];
}

function connectionEnv(input: Omit<SettingsInput, "models">): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: input.baseUrl,
    // Sent as `Authorization: Bearer`, which the gateway accepts like x-api-key.
    ANTHROPIC_AUTH_TOKEN: input.key,
    // Newline-separated "Name: value" lines, added to every request Claude Code makes.
    ...(input.access ? { ANTHROPIC_CUSTOM_HEADERS: accessHeaderLines(input.access).join("\n") } : {}),
  };
}

/** `./claude-settings.<alias>.json`, the alias reduced to characters safe in a file name. */
export function defaultSettingsPath(cwd: string, alias: string): string {
  return join(cwd, `claude-settings.${alias.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_")}.json`);
}

/** Checks, before the key exists, that the file can be written: its folder exists and it is not there already. */
export function checkSettingsTarget(path: string, overwrite: boolean): void {
  if (!existsSync(dirname(path))) throw new UsageError(`cannot write the settings file ${path}: the folder ${dirname(path)} does not exist`);
  if (!overwrite && existsSync(path)) throw new UsageError(`the settings file ${path} already exists: pass --force to replace it, or choose another with --settings-file`);
}

/** Reads a settings file to update; null when there is none. A file that is not settings JSON is an error. */
export function readSettingsFile(path: string): ClaudeSettings | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UsageError(`cannot read the settings file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`the settings file ${path} is not valid JSON; fix or remove it first`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError(`the settings file ${path} does not hold a JSON object`);
  const env = (parsed as { env?: unknown }).env;
  if (env !== undefined && (typeof env !== "object" || env === null || Array.isArray(env))) throw new UsageError(`the settings file ${path} has an "env" that is not an object`);
  return { ...(parsed as object), env: { ...((env as Record<string, string>) ?? {}) } };
}

/**
 * Writes the file readable by its owner only (0600: it holds the key and the Access secret), atomically: a temporary
 * file created 0600 in the same folder, then renamed over the target, so no reader ever sees it half-written or with
 * looser permissions.
 */
export function writeSettingsFile(path: string, settings: ClaudeSettings): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(settings, null, 2)}\n`);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  // The umask can only take bits away; this makes the mode exactly 0600 whatever it is.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
