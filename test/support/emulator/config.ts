// The runtime-changeable settings (EmulatorSettings): which betas Bedrock accepts and which normally allowed keys a
// stricter Bedrock refuses. They live in one mutable object shared with the request handler, so `configure()` and
// `POST /__emulator/config` take effect on the next request, and `reset()` (which clears per-test state) keeps them.
import type { EmulatorSettings } from "./types.ts";

export interface ClaudeRules {
  knownBetas: ReadonlySet<string>;
  rejectTopLevelKeys: ReadonlySet<string>;
  rejectOutputConfigKeys: ReadonlySet<string>;
  /** Model families besides Claude whose CountTokens is answered (a Bedrock that counts for more models). */
  countTokensFamilies: ReadonlySet<string>;
}

const SETTING_NAMES = ["knownBetas", "rejectTopLevelKeys", "rejectOutputConfigKeys", "countTokensFamilies"] as const;

/** Throws with a readable message when a settings object cannot be understood (surfaced as 400 by the control API). */
export function checkSettings(value: unknown): asserts value is EmulatorSettings {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("settings must be a JSON object");
  for (const [key, list] of Object.entries(value)) {
    if (!(SETTING_NAMES as readonly string[]).includes(key)) {
      throw new Error(`unknown setting ${key}; known: ${SETTING_NAMES.join(", ")}`);
    }
    if (list !== undefined && (!Array.isArray(list) || !list.every((v) => typeof v === "string"))) {
      throw new Error(`${key} must be a list of strings`);
    }
  }
}

export function rulesFrom(settings: EmulatorSettings, defaultBetas: readonly string[]): ClaudeRules {
  return {
    knownBetas: new Set(settings.knownBetas ?? defaultBetas),
    rejectTopLevelKeys: new Set(settings.rejectTopLevelKeys ?? []),
    rejectOutputConfigKeys: new Set(settings.rejectOutputConfigKeys ?? []),
    countTokensFamilies: new Set(settings.countTokensFamilies ?? []),
  };
}

/**
 * Replaces the given fields in place (the handler holds this object); absent fields stay as they are. Checks the
 * whole object first, so a bad one changes nothing. Takes `unknown` because the control endpoint passes parsed JSON.
 */
export function applySettings(rules: ClaudeRules, settings: unknown): void {
  checkSettings(settings);
  for (const name of SETTING_NAMES) {
    const list = settings[name];
    if (list !== undefined) rules[name] = new Set(list);
  }
}

/** The current settings as JSON-friendly lists (the control endpoint's answer). */
export function describeSettings(rules: ClaudeRules): Required<EmulatorSettings> {
  return {
    knownBetas: [...rules.knownBetas],
    rejectTopLevelKeys: [...rules.rejectTopLevelKeys],
    rejectOutputConfigKeys: [...rules.rejectOutputConfigKeys],
    countTokensFamilies: [...rules.countTokensFamilies],
  };
}
