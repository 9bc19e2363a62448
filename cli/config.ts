// Where the gateway is and how to authenticate to it: environment variables win over the config file, field by field
// (so a file can hold the URL and the environment the secrets, or the other way round).
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { UsageError } from "./errors.ts";

export interface AccessToken {
  clientId: string;
  clientSecret: string;
}

export interface Config {
  /** The gateway's base URL, without a trailing slash. */
  url: string;
  /** Absent only for commands that can do without it (status). */
  masterKey: string | undefined;
  /** The Cloudflare Access service token, when the gateway sits behind Access. */
  access: AccessToken | undefined;
}

/** The config file's fields (JSON). */
const FILE_FIELDS = ["url", "masterKey", "accessClientId", "accessClientSecret"] as const;
type FileConfig = Partial<Record<(typeof FILE_FIELDS)[number], string>>;

const ENV = {
  url: "BREAKWATER_URL",
  masterKey: "BREAKWATER_MASTER_KEY",
  accessClientId: "BREAKWATER_ACCESS_CLIENT_ID",
  accessClientSecret: "BREAKWATER_ACCESS_CLIENT_SECRET",
} as const;

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  cwd: string;
  /** --config FILE: must exist. Without it the default file is read if it exists. */
  configPath?: string;
  /** --url, which wins over both. */
  url?: string;
  requireMasterKey: boolean;
}

/** The default config file: $XDG_CONFIG_HOME/breakwater/config.json, else ~/.config/breakwater/config.json. */
export function defaultConfigPath(env: ConfigSources["env"], homeDir: string): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homeDir, ".config");
  return join(base, "breakwater", "config.json");
}

export function loadConfig(src: ConfigSources, warn: (message: string) => void): Config {
  const path = src.configPath !== undefined ? resolve(src.cwd, src.configPath) : defaultConfigPath(src.env, src.homeDir);
  const file = readConfigFile(path, src.configPath !== undefined, warn);
  const pick = (field: keyof typeof ENV) => nonEmpty(src.env[ENV[field]]) ?? file[field];

  const rawUrl = nonEmpty(src.url) ?? pick("url");
  if (rawUrl === undefined) {
    throw new UsageError(`no gateway URL: set ${ENV.url}, or "url" in ${path}, or pass --url`);
  }
  const url = normaliseUrl(rawUrl, warn);
  const masterKey = pick("masterKey");
  if (masterKey === undefined && src.requireMasterKey) {
    throw new UsageError(`no master key: set ${ENV.masterKey}, or "masterKey" in ${path}`);
  }
  const clientId = pick("accessClientId");
  const clientSecret = pick("accessClientSecret");
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    const missing = clientId === undefined ? `${ENV.accessClientId} ("accessClientId")` : `${ENV.accessClientSecret} ("accessClientSecret")`;
    throw new UsageError(`the Access service token is incomplete: ${missing} is not set`);
  }
  const access = clientId !== undefined && clientSecret !== undefined ? { clientId, clientSecret } : undefined;
  return { url, masterKey, access };
}

function readConfigFile(path: string, explicit: boolean, warn: (message: string) => void): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return {};
    throw new UsageError(`cannot read the config file ${path}: ${code === "ENOENT" ? "it does not exist" : (code ?? String(e))}`);
  }
  // The file holds the master key: like ssh with its keys, say so when other users can read it.
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o007) warn(`the config file ${path} is readable by other users (mode ${mode.toString(8).padStart(4, "0")}): run chmod 600 ${path}`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // The parser's message quotes no more than a position; never echo the file (it holds secrets).
    throw new UsageError(`the config file ${path} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a JSON object such as {"url": "https://…", "masterKey": "…"}`);
  }
  const out: FileConfig = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!(FILE_FIELDS as readonly string[]).includes(k)) {
      warn(`the config file ${path} has an unknown field "${k}" (known: ${FILE_FIELDS.join(", ")}); it is ignored`);
      continue;
    }
    if (typeof v !== "string") throw new UsageError(`the config file ${path}: "${k}" must be a string`);
    const value = nonEmpty(v);
    if (value !== undefined) out[k as keyof FileConfig] = value;
  }
  return out;
}

/** http(s) only, no credentials, query or fragment; no trailing slash. Warns when secrets would travel in clear. */
export function normaliseUrl(text: string, warn: (message: string) => void): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`the gateway URL "${text}" is not a URL (expected e.g. https://gateway.example.com)`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new UsageError(`the gateway URL must start with https:// (or http:// for a local gateway), not "${u.protocol}"`);
  if (u.username || u.password) throw new UsageError("the gateway URL must not contain credentials (user:password@)");
  if (u.search || u.hash) throw new UsageError("the gateway URL must not have a query string or fragment");
  if (u.protocol === "http:" && !isLoopback(u.hostname)) warn(`${u.origin} is plain HTTP: the master key will cross the network unencrypted`);
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}
