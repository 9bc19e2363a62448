// The Terraform data generated from the Worker's code is current, and says what the Worker really does: the IAM
// policy covers exactly the Bedrock ids the Worker resolves, the WAF allowlist exactly the route table.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { checkRoute, PATTERN_ROUTES, ROUTES } from "../../worker/edge/firewall.ts";
import { GatewayError } from "../../worker/edge/errors.ts";
import { Catalog } from "../../worker/models/catalog.ts";
import { MODELS, type ModelRow } from "../../worker/models/catalog-data.ts";
import { bedrockCatalogFile, GEO_PREFIXES, workerBedrockFor } from "../../scripts/lib/terraform/bedrock-resources.ts";
import { generatedTerraformFiles } from "../../scripts/lib/terraform/generated-files.ts";
import { RAW_PATH_GUARDS, routeAllowlistExpression } from "../../scripts/lib/terraform/waf.ts";
import { loadTerraform, local, type TfFile } from "../support/terraform.ts";

// Parsing HCL (WebAssembly) and running terraform are slow on a busy machine; nothing here is a speed test.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let tf: TfFile[];
beforeAll(async () => {
  tf = await loadTerraform();
});

describe("generated Terraform data", () => {
  it("is current (run npm run terraform:generate after changing the catalog or the route table)", () => {
    for (const { path, text } of generatedTerraformFiles()) expect(readFileSync(path, "utf8"), path).toBe(text);
  });
});

/**
 * Evaluates terraform/aws/worker-iam.tf's `worker_bedrock_arns` for one geography: each `[for id in
 * var.worker_bedrock.<list> : "<arn template>"]` with the template's interpolations filled in.
 */
function workerArns(geo: string, region: string, account: string): string[] {
  const expr = String(local(tf, "aws", "worker_bedrock_arns")).replace(/#[^\n]*\n/g, "");
  const lists = bedrockCatalogFile(MODELS).worker_by_geo[geo]! as unknown as Record<string, string[]>;
  const parts = [...expr.matchAll(/\[for id in var\.worker_bedrock\.(\w+) : "([^"]+)"\]/g)];
  expect(parts.map((p) => p[1]).sort()).toEqual(["direct_models", "inference_profiles", "pinned_models", "pinned_profiles", "profile_models"]);
  expect(expr.replace(/\[for id in var\.worker_bedrock\.\w+ : "[^"]+"\]/g, "").replace(/\s|,/g, "")).toBe("${concat()}");
  return parts.flatMap(([, list, template]) =>
    lists[list!]!.map((id) =>
      template!.replace("${local.partition}", "aws").replace("${var.region}", region).replace("${local.account_id}", account).replace("${id}", id),
    ),
  );
}

/** IAM resource matching: `*` in an ARN matches any run of characters. */
const arnMatches = (pattern: string, arn: string) =>
  new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(arn);

describe("the Worker's Bedrock permissions", () => {
  const region = "us-east-1";
  const account = "111122223333";

  for (const geo of GEO_PREFIXES) {
    it(`cover every catalog model the Worker calls with BEDROCK_GEO_PREFIX=${geo}, and nothing else`, () => {
      const arns = workerArns(geo, region, account);
      const catalog = new Catalog({ geoPrefix: geo === "none" ? "" : geo });
      const used = new Set<string>();
      for (const row of MODELS) {
        const r = catalog.resolve(row.name)!;
        // InvokeModel / Converse target: a profile ARN in this region, or the model's own ARN here.
        // A model Bedrock serves in one region only is called there.
        const home = row.region ?? region;
        const target = r.invokeId === r.baseId
          ? `arn:aws:bedrock:${home}::foundation-model/${r.baseId}`
          : `arn:aws:bedrock:${home}:${account}:inference-profile/${r.invokeId}`;
        // A profile routes to the model in any region of its geography; CountTokens names the base model here.
        const model = `arn:aws:bedrock:us-west-2::foundation-model/${r.baseId}`;
        const base = `arn:aws:bedrock:${region}::foundation-model/${r.baseId}`;
        for (const needed of r.invokeId === r.baseId ? [target, base] : [target, model, base]) {
          const hit = arns.filter((p) => arnMatches(p, needed));
          expect(hit.length, `${row.name}: ${needed}`).toBeGreaterThan(0);
          hit.forEach((h) => used.add(h));
        }
      }
      expect([...used].sort()).toEqual([...arns].sort()); // no ARN for a model the Worker does not call
      for (const a of arns) expect(a).not.toMatch(/\/\*$|^\*$/);
    });
  }

  it("follow whatever rows the catalog holds: image models are the Worker's, video models the origin's", () => {
    const extra: ModelRow[] = [
      ...MODELS,
      { name: "test-image", displayName: "Image", bedrockId: "vendor.image-v1:0", api: "image" as ModelRow["api"], geos: ["us"], price: { input: 0, output: 0 }, contextWindow: 0, maxOutput: 0, released: "2026-01-01" },
      { name: "test-video", displayName: "Video", bedrockId: "vendor.video-v1:0", api: "video" as ModelRow["api"], geos: [], price: { input: 0, output: 0 }, contextWindow: 0, maxOutput: 0, released: "2026-01-01" },
    ];
    const us = workerBedrockFor(extra, "us");
    expect(us.inference_profiles).toContain("us.vendor.image-v1:0");
    expect(us.profile_models).toContain("vendor.image-v1:0");
    expect([...us.inference_profiles, ...us.profile_models, ...us.direct_models].join()).not.toContain("vendor.video");
    expect(bedrockCatalogFile(extra, []).origin_video_models).toEqual(["vendor.video-v1:0"]);
    // The video catalog's rows are the origin's too (its role may start their jobs).
    expect(bedrockCatalogFile(MODELS).origin_video_models).toEqual(expect.arrayContaining(["amazon.nova-reel-v1:1", "luma.ray-v2:0"]));
  });

  it("are what the root hands the aws module for the chosen geography", () => {
    expect(local(tf, ".", "bedrock_catalog")).toBe('${jsondecode(file("${path.root}/generated/bedrock-models.json"))}');
  });
});

describe("the WAF's route allowlist", () => {
  it("admits exactly the Worker's method + path pairs", () => {
    const expr = routeAllowlistExpression(ROUTES);
    const admitted = new Set<string>();
    for (const [, method, paths] of expr.matchAll(/\(http\.request\.method eq "(\w+)" and http\.request\.uri\.path in \{([^}]*)\}\)/g)) {
      for (const [, p] of paths!.matchAll(/"([^"]+)"/g)) admitted.add(`${method} ${p}`);
    }
    const expected = Object.entries(ROUTES).flatMap(([p, ms]) => ms.map((m) => `${m} ${p}`));
    expect([...admitted].sort()).toEqual(expected.sort());
    expect(expr.length).toBeLessThan(4096); // Cloudflare's expression length limit
  });

  it("admits each pattern route by method and fixed prefix, and every path the Worker's pattern accepts starts with it", () => {
    const expr = routeAllowlistExpression(ROUTES, PATTERN_ROUTES);
    expect(PATTERN_ROUTES.length).toBeGreaterThan(0);
    for (const r of PATTERN_ROUTES) {
      for (const m of r.methods) expect(expr).toContain(`(http.request.method eq "${m}" and starts_with(http.request.uri.path, "${r.prefix}"))`);
      // The anchored pattern never admits a path outside its prefix (so the WAF's prefix is never narrower).
      const sample = `${r.prefix}job_123`;
      expect(r.pattern.test(sample)).toBe(true);
      for (const outside of [r.prefix.slice(0, -1), `${r.prefix}`, `/x${r.prefix}job_123`, `${r.prefix}a/b`]) expect(r.pattern.test(outside)).toBe(false);
      expect(checkRoute(r.methods[0]!, `https://gw.example${sample}`)).toBe(sample);
    }
  });

  it("raw-path guards are paths the Worker itself refuses (the WAF sees them before any normalisation)", () => {
    for (const g of RAW_PATH_GUARDS) {
      let err: unknown;
      try {
        checkRoute("POST", `https://gw.example/v1${g}messages`);
      } catch (e) {
        err = e;
      }
      expect(err, g).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status, g).toBe(400);
    }
    const waf = JSON.parse(readFileSync(generatedTerraformFiles()[1]!.path, "utf8"));
    for (const g of ["\"..\"", "\"//\"", '"\\\\"', '"%2e"', '"%2f"', '"%5c"']) expect(waf.raw_path_guard).toContain(g);
  });
});
