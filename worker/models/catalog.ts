import { MODELS, type ModelRow, type Price } from "./catalog-data.ts";
import { own } from "../util/own.ts";

/** A client-facing model name resolved to what the gateway will call. */
export interface ResolvedModel {
  /** Exactly what the client sent (echoed back in responses). */
  requested: string;
  row: ModelRow;
  /** The id put in the Bedrock URL: inference-profile id (`us.anthropic…`) or base id. */
  invokeId: string;
  /** Base model id, which CountTokens wants. */
  baseId: string;
  /** Extra beta flags the name implies (e.g. the `[1m]` suffix asks for the 1M-token context window). */
  impliedBetas: string[];
  /** The client named an exact Bedrock id (or ARN) rather than a catalog name: call exactly that, nowhere else. */
  explicitId: boolean;
  /** Set when the name asked for has reached its end of life and `row` is its successor. */
  retired?: { name: string; endOfLife: string };
  /** Set when the model has reached its end of life and is not served by its successor (`afterEndOfLife: "refuse"`). */
  ended?: { endOfLife: string; successor: string };
}

/** Where a model stands in its life on Bedrock, for `/v1/models` and response headers. */
export interface Lifecycle {
  endOfLife: string;
  successor: string;
  /** True once the end-of-life day is over: requests go to the successor. */
  retired: boolean;
}

export interface CatalogOptions {
  /** Inference-profile geography prefix applied where the model offers it: "us", "eu", "global", … or "" for none. */
  geoPrefix: string;
  /** Operator aliases, exact name → catalog name (e.g. keep retired names working by pointing them at successors). */
  aliases?: Record<string, string>;
  /** Per-model Bedrock id overrides (catalog name → full id to call), for ids not yet in the data. */
  bedrockIds?: Record<string, string>;
  /** Application-inference-profile ARNs clients may send as the model, each → the catalog model it serves. */
  arns?: Record<string, string>;
  /** The clock end-of-life dates are judged by (milliseconds since the epoch); tests and operators may set it. */
  now?: () => number;
}

const GEO_PREFIX = /^(us|eu|apac|au|ca|jp|global|us-gov)\./;
const ONE_M_SUFFIX = "[1m]";
const CONTEXT_1M_BETA = "context-1m-2025-08-07";

export class Catalog {
  readonly models: readonly ModelRow[];
  private readonly byName = new Map<string, ModelRow>();
  private readonly byBedrockId = new Map<string, ModelRow>();
  private readonly byArn = new Map<string, ModelRow>();
  private readonly groupMap: Record<string, string[]>;

  constructor(private readonly opts: CatalogOptions, models: readonly ModelRow[] = MODELS) {
    this.models = models;
    for (const row of models) {
      this.byName.set(row.name, row);
      for (const alias of row.aliases ?? []) this.byName.set(alias, row);
      this.byBedrockId.set(row.bedrockId, row);
    }
    for (const [alias, target] of Object.entries(opts.aliases ?? {})) {
      const row = this.byName.get(target);
      if (!row) throw new Error(`MODEL_ALIASES maps "${alias}" to unknown model "${target}"`);
      this.byName.set(alias, row);
    }
    const of = (pick: (m: ModelRow) => boolean) => models.filter(pick).map((m) => m.name);
    this.groupMap = {
      "all-claude": of((m) => m.api === "anthropic"),
      "all-chat": of((m) => m.api === "anthropic" || m.api === "converse"),
      "all-embeddings": of((m) => m.api === "embedding"),
      "all-images": of((m) => m.api === "image"),
      "all-models": of(() => true),
    };
    for (const row of models) {
      if (row.successor && !this.byName.has(row.successor)) throw new Error(`model ${row.name} names unknown successor "${row.successor}"`);
      if ((row.successor === undefined) !== (row.endOfLife === undefined)) throw new Error(`model ${row.name} needs both endOfLife and successor`);
    }
    for (const [arn, target] of Object.entries(opts.arns ?? {})) {
      const row = this.byName.get(target);
      if (!row) throw new Error(`MODEL_ARNS maps "${arn}" to unknown model "${target}"`);
      this.byArn.set(arn, row);
    }
  }

  /**
   * Exact-match resolution only: a name either is in the catalog (name, alias, operator alias, or a Bedrock id the
   * catalog knows, with or without a geo prefix) or it is unknown. No prefix or fuzzy matching, so a request is
   * never silently sent to a different model than the one asked for.
   */
  resolve(requested: string): ResolvedModel | null {
    let name = requested;
    const impliedBetas: string[] = [];
    if (name.endsWith(ONE_M_SUFFIX)) {
      name = name.slice(0, -ONE_M_SUFFIX.length);
      impliedBetas.push(CONTEXT_1M_BETA);
    }
    const named = this.byName.get(name);
    if (named) {
      // A model past its end of life is served by its successor (as Rockport's aliases did), said in a header.
      const life = this.lifecycle(named);
      if (life?.retired && named.afterEndOfLife === "refuse") {
        const invokeId = this.opts.bedrockIds?.[named.name] ?? this.profileId(named);
        return { requested, row: named, invokeId, baseId: invokeId.replace(GEO_PREFIX, ""), impliedBetas, explicitId: false, ended: { endOfLife: life.endOfLife, successor: life.successor } };
      }
      const row = life?.retired ? this.successorOf(named) : named;
      const override = this.opts.bedrockIds?.[row.name];
      const invokeId = override ?? this.profileId(row);
      const resolved: ResolvedModel = { requested, row, invokeId, baseId: invokeId.replace(GEO_PREFIX, ""), impliedBetas, explicitId: false };
      if (row !== named) resolved.retired = { name: named.name, endOfLife: named.endOfLife! };
      return resolved;
    }
    // An application inference profile the operator registered: called as it is, priced as the model it serves.
    const byArn = this.byArn.get(name);
    if (byArn) return { requested, row: byArn, invokeId: name, baseId: byArn.bedrockId, impliedBetas, explicitId: true };
    // A Bedrock model id or inference-profile id the catalog knows is passed through as it is.
    const baseId = name.replace(GEO_PREFIX, "");
    const byId = this.byBedrockId.get(baseId);
    if (byId) return { requested, row: byId, invokeId: name, baseId, impliedBetas, explicitId: true };
    return null;
  }

  /** The model's end of life and successor, judged by the catalog's clock; null for a model with no end date. */
  lifecycle(row: ModelRow): Lifecycle | null {
    if (!row.endOfLife || !row.successor) return null;
    // The end-of-life day itself is still served; the successor takes over when it is over (UTC).
    const lastMoment = Date.parse(`${row.endOfLife}T00:00:00Z`) + 86_400_000;
    return { endOfLife: row.endOfLife, successor: row.successor, retired: (this.opts.now ?? Date.now)() >= lastMoment };
  }

  /** The successor at the end of a chain of retired models (a successor may itself have retired since). */
  private successorOf(row: ModelRow): ModelRow {
    let current = row;
    for (let hops = 0; hops < 8; hops++) {
      const life = this.lifecycle(current);
      if (!life?.retired) return current;
      current = this.byName.get(life.successor)!;
    }
    return current;
  }

  names(): string[] {
    return this.models.map((m) => m.name);
  }

  /** Named groups a key's model list may use instead of listing models one by one. */
  groups(): Readonly<Record<string, readonly string[]>> {
    return this.groupMap;
  }

  isGroup(name: string): boolean {
    return Object.hasOwn(this.groupMap, name);
  }

  /**
   * The catalog names a key's model list allows, with groups expanded; null means every model (an empty list).
   * Entries that are neither names nor groups (an exact Bedrock id the operator listed) are kept as they are.
   */
  allowedNames(keyModels: readonly string[]): Set<string> | null {
    if (keyModels.length === 0) return null;
    const out = new Set<string>();
    for (const m of keyModels) for (const n of own(this.groupMap, m) ?? [m]) out.add(n);
    return out;
  }

  private profileId(row: ModelRow): string {
    if (row.profile) return `${row.profile}.${row.bedrockId}`;
    const geo = this.opts.geoPrefix;
    return geo && row.geos.includes(geo) ? `${geo}.${row.bedrockId}` : row.bedrockId;
  }
}

export type { ModelRow, Price };
