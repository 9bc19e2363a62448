import type { ResolvedModel } from "../models/catalog.ts";
import type { Hashing } from "../util/sha256.ts";
import { BedrockClient } from "./client.ts";

/** One place a model can be served from: a region (or endpoint), an id to call there, and the account to sign as. */
export interface TargetSpec {
  /** Label returned to the caller in `x-breakwater-target` and written to the spend log. */
  name?: string;
  region?: string;
  /** Full Bedrock Runtime base URL; defaults to the region's public endpoint. */
  endpoint?: string;
  /** Inference-profile geography to use for this target ("us", "eu", "global", … or "" for the base id). */
  profile?: string;
  /** Exact model id or ARN to call (overrides `profile`). */
  id?: string;
  /** Name of a credential set in BEDROCK_ACCOUNTS; the default AWS credentials otherwise. */
  account?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Target {
  name: string;
  modelId: string;
  client: BedrockClient;
}

export interface TargetRouterOptions {
  region: string;
  endpoint: string;
  credentials: Credentials;
  accounts: Record<string, Credentials>;
  /** Model name (or "*") → ordered targets. */
  targets: Record<string, TargetSpec[]>;
  /** How the clients hash what they sign (the runtime entry's choice; crypto.subtle by default). */
  hashing?: Hashing;
}

const GEO_PREFIX = /^(us|eu|apac|au|ca|jp|global|us-gov)\./;

/**
 * Turns a resolved model into the ordered list of places to try. With no BEDROCK_TARGETS configured that is one
 * target: the configured region and endpoint. Clients are built once per (endpoint, region, account) and reused, so
 * each client's day's signing key is derived once.
 */
export class TargetRouter {
  private readonly clients = new Map<string, BedrockClient>();

  constructor(private readonly opts: TargetRouterOptions) {
    for (const [model, specs] of Object.entries(opts.targets)) {
      for (const s of specs) {
        if (s.account && !opts.accounts[s.account]) throw new Error(`BEDROCK_TARGETS for ${model} names unknown account "${s.account}"`);
      }
    }
  }

  targetsFor(model: ResolvedModel): Target[] {
    // A client that names an exact Bedrock id gets exactly that id, in the default place.
    const specs = model.explicitId ? undefined : (this.opts.targets[model.row.name] ?? this.opts.targets["*"]);
    if (!specs?.length) return [this.target(this.homeOf(model), model.invokeId)];
    return specs.map((s) => this.target(s, this.modelIdFor(s, model)));
  }

  /**
   * Where a model that Bedrock serves in one region only (the catalog's `region`) is called: that region's public
   * endpoint, or, when BEDROCK_ENDPOINT sends every call elsewhere (an emulator, a VPC endpoint), that endpoint,
   * signed for the model's region.
   */
  private homeOf(model: ResolvedModel): TargetSpec {
    const region = model.row.region;
    if (!region || region === this.opts.region) return {};
    const defaultEndpoint = `https://bedrock-runtime.${this.opts.region}.amazonaws.com`;
    return this.opts.endpoint === defaultEndpoint ? { region } : { region, endpoint: this.opts.endpoint };
  }

  /** The default client, for calls that need no failover (count-tokens). */
  defaultClient(): BedrockClient {
    return this.client(this.opts.endpoint, this.opts.region, undefined);
  }

  private modelIdFor(spec: TargetSpec, model: ResolvedModel): string {
    if (spec.id) return spec.id;
    if (spec.profile === undefined) return model.invokeId;
    const base = model.invokeId.replace(GEO_PREFIX, "");
    return spec.profile && model.row.geos.includes(spec.profile) ? `${spec.profile}.${base}` : base;
  }

  private target(spec: TargetSpec, modelId: string): Target {
    const region = spec.region ?? this.opts.region;
    const endpoint = (spec.endpoint ?? (spec.region ? `https://bedrock-runtime.${region}.amazonaws.com` : this.opts.endpoint)).replace(/\/+$/, "");
    return { name: spec.name ?? `${region}/${modelId}`, modelId, client: this.client(endpoint, region, spec.account) };
  }

  private client(endpoint: string, region: string, account: string | undefined): BedrockClient {
    const key = `${endpoint}|${region}|${account ?? ""}`;
    let c = this.clients.get(key);
    if (!c) {
      const creds = account ? this.opts.accounts[account]! : this.opts.credentials;
      c = new BedrockClient({ ...creds, region, endpoint }, this.opts.hashing);
      this.clients.set(key, c);
    }
    return c;
  }
}
