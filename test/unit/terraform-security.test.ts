// The Terraform configuration's security properties, asserted on the parsed .tf files (no providers needed), plus
// `terraform fmt` and `terraform validate` where the binary and providers exist.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../../scripts/lib/db.ts";
import { renderBootstrap, userData } from "../../scripts/origin/files.ts";
import { blocks, loadTerraform, local, renderTemplate, TERRAFORM_DIR, which, type TfFile } from "../support/terraform.ts";

const hasTerraform = which("terraform");
// Parsing HCL (WebAssembly) and running terraform are slow on a busy machine; nothing here is a speed test.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let tf: TfFile[];

beforeAll(async () => {
  tf = await loadTerraform();
});

const resources = (type: string) => blocks(tf, "resource", type);

describe("terraform formatting and validation", () => {
  it.skipIf(!hasTerraform)("terraform fmt -check -recursive is clean (skipped where terraform is not installed)", () => {
    const r = spawnSync("terraform", ["fmt", "-check", "-recursive", "-diff", TERRAFORM_DIR], { encoding: "utf8" });
    expect(r.stdout + r.stderr.replace(/[^]*?CLI configuration[^]*?╵\n?/g, "")).not.toMatch(/\.tf/);
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasTerraform)("terraform validate passes (skipped with the reason where providers cannot be downloaded)", (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), "bw-tf-validate-"));
    try {
      cpSync(TERRAFORM_DIR, join(dir, "terraform"), { recursive: true, filter: (src) => !src.includes(".terraform") });
      cpSync(join(REPO_ROOT, "origin"), join(dir, "origin"), { recursive: true });
      const root = join(dir, "terraform");
      const init = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: root, encoding: "utf8", timeout: 120_000 });
      if (init.status !== 0) {
        ctx.skip(`providers could not be installed here: ${(init.stderr || init.stdout).trim().split("\n").find((l) => /Error/.test(l)) ?? "terraform init failed"}`);
        return;
      }
      const v = spawnSync("terraform", ["validate", "-no-color"], { cwd: root, encoding: "utf8", timeout: 120_000 });
      expect(v.stdout + v.stderr).toContain("Success");
      expect(v.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe("origin instance", () => {
  it("has zero ingress: no ingress blocks or ingress rule resources anywhere", () => {
    expect(resources("aws_security_group").length).toBeGreaterThan(0);
    for (const sg of resources("aws_security_group")) expect(sg.body.ingress).toBeUndefined();
    expect(resources("aws_vpc_security_group_ingress_rule")).toEqual([]);
    for (const r of resources("aws_security_group_rule")) expect(r.body.type).not.toBe("ingress");
    // Egress is explicit: HTTPS and the tunnel port only.
    const egress = local(tf, "aws", "origin_egress");
    expect(Object.values(egress).map((e: any) => `${e.protocol}/${e.port}`).sort()).toEqual(["tcp/443", "tcp/7844", "udp/7844"]);
  });

  it("requires IMDSv2 with hop limit 1 and encrypts its root volume", () => {
    const instances = resources("aws_instance");
    expect(instances).toHaveLength(1);
    for (const i of instances) {
      const md = i.body.metadata_options[0];
      expect(md.http_tokens).toBe("required");
      expect(md.http_put_response_hop_limit).toBe(1);
      expect(i.body.root_block_device[0].encrypted).toBe(true);
      expect(i.body.ebs_block_device).toBeUndefined();
      expect(["t3.small", "t4g.small"]).toContain(blocks(tf, "variable").find((v) => v.module === "." && v.name === "instance_type")!.body.default);
    }
    for (const v of resources("aws_ebs_volume")) expect(v.body.encrypted).toBe(true);
  });

  it("gets its bootstrap as gzip+base64 user data rendered from the one template path", () => {
    const [origin] = resources("aws_instance");
    expect(origin!.body.user_data_base64).toBe("${base64gzip(templatefile(var.bootstrap_template, local.bootstrap_vars))}");
    expect(origin!.body.user_data).toBeUndefined();
    expect(local(tf, ".", "bootstrap_template")).toBe("${local.origin_dir}/bootstrap/bootstrap.sh.tpl");
  });

  it("passes exactly the template's variables, never a secret, and renders within EC2's 16 KB with the real origin files", () => {
    const template = readFileSync(join(REPO_ROOT, "origin/bootstrap/bootstrap.sh.tpl"), "utf8");
    const vars = local(tf, "aws", "bootstrap_vars") as Record<string, string>;
    const placeholders = new Set([...template.matchAll(/(?<!\$)\$\{([a-z_0-9]+)\}/g)].map((m) => m[1]));
    expect(new Set(Object.keys(vars))).toEqual(placeholders);
    // Names and versions only: secrets stay in SSM, read by the instance with its role.
    for (const v of Object.values(vars)) expect(v).not.toMatch(/random_password|var\.secrets|aws_ssm_parameter\.[a-z_]+(\[[^\]]*\])?\.value/);
    // The file contents Terraform passes are the origin's files; long names stand in for the rest.
    const files = local(tf, ".", "origin_files") as Record<string, string>;
    for (const k of Object.keys(files)) expect(vars[k]).toBe(`\${var.origin_files.${k}}`);
    const rendered = renderBootstrap({
      region: "ap-southeast-2", ssm_prefix: `/${"n".repeat(60)}`, artifacts_bucket: "a".repeat(63), video_bucket_us_east_1: "b".repeat(63), video_bucket_us_west_2: "c".repeat(63),
    });
    expect(userData(rendered).length).toBeLessThanOrEqual(16 * 1024);
  });
});

describe("secrets in SSM", () => {
  it("stores the tunnel token, Access service token, origin shared secret and LiteLLM master key as SecureStrings", () => {
    const params = resources("aws_ssm_parameter");
    for (const p of params) expect(p.body.type).toBe("SecureString");
    const names = Object.keys(local(tf, "aws", "ssm_parameters"));
    expect(names).toEqual(expect.arrayContaining(["tunnel_token", "origin_access_client_id", "origin_access_client_secret", "origin_shared_secret", "litellm_master_key"]));
  });
});

describe("buckets", () => {
  it("every bucket blocks public access, is encrypted, TLS-only and expires its objects", () => {
    const modules = new Set(resources("aws_s3_bucket").map((b) => b.module));
    expect(modules.size).toBeGreaterThan(0);
    for (const m of modules) {
      const inModule = (type: string) => resources(type).filter((r) => r.module === m);
      const pab = inModule("aws_s3_bucket_public_access_block");
      expect(pab.length).toBe(inModule("aws_s3_bucket").length);
      for (const p of pab) for (const k of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]) expect(p.body[k]).toBe(true);
      for (const e of inModule("aws_s3_bucket_server_side_encryption_configuration")) {
        expect(["AES256", "aws:kms"]).toContain(e.body.rule[0].apply_server_side_encryption_by_default[0].sse_algorithm);
      }
      expect(inModule("aws_s3_bucket_server_side_encryption_configuration").length).toBe(inModule("aws_s3_bucket").length);
      expect(inModule("aws_s3_bucket_lifecycle_configuration").length).toBe(inModule("aws_s3_bucket").length);
      expect(inModule("aws_s3_bucket_policy").length).toBe(inModule("aws_s3_bucket").length);
    }
    const deny = blocks(tf, "data", "aws_iam_policy_document").filter((d) => d.module === "aws/private-bucket")[0]!.body.statement[0];
    expect(deny).toMatchObject({ effect: "Deny", condition: [{ variable: "aws:SecureTransport", values: ["false"] }] });
  });

  it("the two video buckets are in us-east-1 and us-west-2 and expire after 7 days; the audit trail after 90", () => {
    const mod = (name: string) => blocks(tf, "module").find((m) => m.module === "aws" && m.name === name)!.body;
    expect(mod("video_bucket_use1").expire_days).toBe(7);
    expect(mod("video_bucket_usw2").expire_days).toBe(7);
    expect(mod("video_bucket_use1").providers).toEqual({ aws: "${aws.use1}" });
    expect(mod("video_bucket_usw2").providers).toEqual({ aws: "${aws.usw2}" });
    const providerBlocks = tf.flatMap((f) => (f.body.provider?.aws ?? []) as { alias?: string; region: string }[]);
    expect(providerBlocks.find((p) => p.alias === "use1")?.region).toBe("us-east-1");
    expect(providerBlocks.find((p) => p.alias === "usw2")?.region).toBe("us-west-2");
    expect(mod("audit_bucket").expire_days).toBe(90);
    const [lifecycle] = resources("aws_s3_bucket_lifecycle_configuration").filter((r) => r.module === "aws/private-bucket");
    expect(lifecycle!.body.rule[0].expiration[0].days).toBe("${var.expire_days}");
  });
});

describe("IAM least privilege", () => {
  // The read-only describes AWS only grants on "*".
  // Read-only actions AWS defines without a resource type (IAM accepts only "*" for them).
  const STAR_ALLOWED = new Set(["ec2:DescribeInstances", "bedrock:ListAsyncInvokes"]);

  it("no allow statement grants action * (or service:*) and only read-only describes use Resource *", () => {
    const docs = blocks(tf, "data", "aws_iam_policy_document");
    expect(docs.length).toBeGreaterThan(4);
    let checked = 0;
    for (const d of docs) {
      for (const s of d.body.statement ?? []) {
        if (s.effect === "Deny") continue;
        checked++;
        for (const a of s.actions ?? []) expect(a, `${d.module}/${d.name}`).not.toMatch(/(^\*$|:\*$)/);
        expect(s.not_actions, `${d.module}/${d.name}`).toBeUndefined();
        const res = Array.isArray(s.resources) ? s.resources : [s.resources];
        if (res.includes("*")) expect(s.actions.every((a: string) => STAR_ALLOWED.has(a)), `${d.module}/${d.name} uses Resource "*"`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(8);
    // Inline policies come only from policy documents (so the checks above cover them all).
    for (const type of ["aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_policy"]) {
      for (const p of resources(type)) expect(p.body.policy).toMatch(/^\$\{data\.aws_iam_policy_document\.\w+\.json\}$/);
    }
  });

  it("the Worker may call Bedrock on the catalog's ARNs, start/stop the one instance, and describe instances", () => {
    const worker = blocks(tf, "data", "aws_iam_policy_document").find((d) => d.name === "worker")!.body.statement;
    expect(worker.map((s: any) => [s.actions, s.resources])).toEqual([
      [["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CountTokens"], "${local.worker_bedrock_arns}"],
      [["ec2:StartInstances", "ec2:StopInstances"], ["${aws_instance.origin.arn}"]],
      [["ec2:DescribeInstances"], ["*"]],
    ]);
  });

  it("the origin role reaches only video models, its two buckets, its artifacts (read-only) and its own SSM parameters", () => {
    const origin = blocks(tf, "data", "aws_iam_policy_document").find((d) => d.module === "aws" && d.name === "origin")!.body.statement;
    const actions = origin.flatMap((s: any) => s.actions).sort();
    expect(actions).toEqual(["bedrock:GetAsyncInvoke", "bedrock:InvokeModel", "bedrock:ListAsyncInvokes", "bedrock:StartAsyncInvoke", "s3:GetObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "ssm:GetParameter", "ssm:GetParameters"]);
    const sid = (id: string) => origin.find((s: any) => s.sid === id);
    expect(sid("OwnParameters").resources).toBe(
      '${concat([for p in aws_ssm_parameter.origin : p.arn], ["arn:${local.partition}:ssm:${var.region}:${local.account_id}:parameter${local.ssm_prefix}/artifacts/*"])}',
    );
    expect(sid("OriginArtifacts")).toMatchObject({ actions: ["s3:GetObject"], resources: ["${module.artifacts_bucket.arn}/*"] });
  });
});

describe("operations", () => {
  it("takes daily snapshots kept 7 days, recovers on system check failure, and alerts at 80 % and 100 % of two budgets", () => {
    const [dlm] = resources("aws_dlm_lifecycle_policy");
    const schedule = dlm!.body.policy_details[0].schedule[0];
    expect(schedule.create_rule[0]).toMatchObject({ interval: 24, interval_unit: "HOURS" });
    expect(schedule.retain_rule[0].count).toBe(7);
    const [alarm] = resources("aws_cloudwatch_metric_alarm");
    expect(alarm!.body.metric_name).toBe("StatusCheckFailed_System");
    expect(alarm!.body.alarm_actions[0]).toMatch(/:automate:\$\{var\.region\}:ec2:recover$/);
    const budgets = local(tf, "aws", "budgets") as Record<string, { time_unit: string; services: string[] }>;
    expect(Object.values(budgets).map((b) => b.time_unit).sort()).toEqual(["DAILY", "MONTHLY"]);
    expect(Object.values(budgets).find((b) => b.time_unit === "DAILY")!.services).toEqual(["Amazon Bedrock"]);
    const [budget] = resources("aws_budgets_budget");
    expect(budget!.body.for_each).toBe("${local.budgets}");
    expect(budget!.body.dynamic.notification[0].for_each).toBe("${local.alert_thresholds}");
    expect(budget!.body.dynamic.notification[0].content[0]).toMatchObject({ threshold_type: "PERCENTAGE", notification_type: "ACTUAL" });
    expect(local(tf, "aws", "alert_thresholds")).toEqual([80, 100]);
  });

  it("CloudTrail logs every region to its own bucket with log file validation", () => {
    const [trail] = resources("aws_cloudtrail");
    expect(trail!.body).toMatchObject({ is_multi_region_trail: true, enable_log_file_validation: true, s3_bucket_name: "${module.audit_bucket.name}" });
  });

  it("state is in S3, encrypted, with a lock file; the state bucket is versioned and cannot be destroyed by accident", () => {
    const backend = tf.flatMap((f) => f.body.terraform ?? []).flatMap((t: any) => t.backend?.s3 ?? []);
    expect(backend).toEqual([expect.objectContaining({ encrypt: true, use_lockfile: true })]);
    const state = resources("aws_s3_bucket").find((b) => b.module === "state")!;
    expect(state.body.lifecycle[0].prevent_destroy).toBe(true);
    expect(resources("aws_s3_bucket_versioning").find((b) => b.module === "state")!.body.versioning_configuration[0].status).toBe("Enabled");
  });
});

describe("Cloudflare", () => {
  it("the WAF uses the generated route allowlist and raw-path guard, on the right hostnames", () => {
    const [fw] = resources("cloudflare_ruleset").filter((r) => r.body.phase === "http_request_firewall_custom");
    const rules = fw!.body.rules as { ref: string; expression: string; action: string }[];
    expect(rules.length).toBeLessThanOrEqual(5); // the Free plan's custom-rule limit
    const byRef = Object.fromEntries(rules.map((r) => [r.ref, r]));
    expect(byRef.raw_path_guard!.expression).toContain("(${var.waf_raw_path_guard})");
    expect(byRef.gateway_route_allowlist!.expression).toBe('(http.host eq "${var.gateway_hostname}" and not (${var.waf_route_allowlist}))');
    expect(byRef.origin_only_from_worker!.expression).toContain("cf.worker.upstream_zone ne");
    for (const r of rules) expect(r.action).toBe("block");
    const cfModule = blocks(tf, "module").find((m) => m.name === "cloudflare")!.body;
    expect(cfModule.waf_route_allowlist).toBe("${local.waf.route_allowlist}");
    expect(cfModule.waf_raw_path_guard).toBe("${local.waf.raw_path_guard}");
    expect(local(tf, ".", "waf")).toBe('${jsondecode(file("${path.root}/generated/waf.json"))}');
  });

  it("has a rate-limiting rule per IP", () => {
    const [rl] = resources("cloudflare_ruleset").filter((r) => r.body.phase === "http_ratelimit");
    expect(rl!.body.rules[0].ratelimit.characteristics).toEqual(["cf.colo.id", "ip.src"]);
  });

  it("Access: service-token-only policies on both hostnames; the origin admits only the Worker's token", () => {
    const policies = resources("cloudflare_zero_trust_access_policy");
    for (const p of policies) expect(p.body.decision).toBe("non_identity");
    const apps = resources("cloudflare_zero_trust_access_application");
    expect(apps.map((a) => a.body.domain).sort()).toEqual(["${var.gateway_hostname}", "${var.origin_hostname}"]);
    const origin = apps.find((a) => a.body.domain === "${var.origin_hostname}")!;
    expect(origin.body.policies).toEqual([{ id: "${cloudflare_zero_trust_access_policy.worker_only.id}", precedence: 1 }]);
    expect(policies.find((p) => p.name === "worker_only")!.body.include).toEqual([
      { service_token: { token_id: "${cloudflare_zero_trust_access_service_token.worker_to_origin.id}" } },
    ]);
  });

  it("the tunnel is remotely managed, its ingress comes from the one data file, checks Access again and ends in a 404", () => {
    const [tunnel] = resources("cloudflare_zero_trust_tunnel_cloudflared");
    expect(tunnel!.body.config_src).toBe("cloudflare");
    const [cfg] = resources("cloudflare_zero_trust_tunnel_cloudflared_config");
    expect(String(cfg!.body.config.ingress)).toContain('http_status:404');
    expect(String(cfg!.body.config.ingress)).toContain("var.tunnel_ingress");
    expect(local(tf, "cloudflare", "origin_request")).toMatchObject({ access: { required: true } });
    // Read from the origin's own file, its catch-all dropped (the tunnel config adds one after the hostname rules).
    expect(local(tf, ".", "tunnel_ingress")).toBe('${[for r in jsondecode(file("${local.origin_dir}/cloudflared/ingress.json")).rules : r if can(r.path)]}');
    expect(local(tf, ".", "origin_dir")).toBe("${path.root}/../origin");
  });

  it("the Worker has its custom domain and Cron Trigger, and no workers.dev address", () => {
    const [worker] = resources("cloudflare_worker");
    expect(worker!.body.subdomain).toEqual({ enabled: false, previews_enabled: false });
    expect(resources("cloudflare_workers_custom_domain")).toHaveLength(1);
    expect(resources("cloudflare_workers_cron_trigger")[0]!.body.schedules).toEqual([{ cron: "${var.origin_idle_cron}" }]);
    // The Worker Terraform creates is the one wrangler deploys into.
    const wranglerName = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8"))![1];
    expect(blocks(tf, "variable").find((v) => v.module === "." && v.name === "worker_name")!.body.default).toBe(wranglerName);
  });
});

describe("tunnel ingress (origin/cloudflared/ingress.json, which Terraform reads)", () => {
  const ingress = JSON.parse(readFileSync(join(REPO_ROOT, "origin", "cloudflared", "ingress.json"), "utf8")).rules as { path?: string; service: string }[];
  const pathRules = ingress.filter((r) => r.path !== undefined);

  it("routes only to loopback services, every path rule anchored, and ends in the 404 catch-all Terraform drops", () => {
    expect(pathRules.length).toBeGreaterThan(0);
    for (const r of pathRules) {
      expect(r.service).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(r.path!.startsWith("^")).toBe(true);
    }
    // The only rule without a path is the last one: the catch-all (Terraform's filter keeps every routing rule).
    expect(ingress.filter((r) => r.path === undefined)).toEqual([{ service: "http_status:404" }]);
    expect(ingress[ingress.length - 1]).toEqual({ service: "http_status:404" });
  });

  it("is the file the local origin routes by (cloudflaredRules finds the same list)", () => {
    expect(cloudflaredRules(join(REPO_ROOT, "origin", "cloudflared"))).toEqual(ingress);
  });
});

/**
 * Ingress rules from origin/cloudflared/: the first JSON or YAML file holding an ingress list (`ingress`, `rules`
 * or `config.ingress`, as in cloudflared's config.yml or the API's tunnel configuration).
 */
function cloudflaredRules(dir: string): { path?: string; service: string }[] {
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(json|ya?ml)$/.test(name)) continue;
    const text = readFileSync(join(dir, name), "utf8");
    const parsed = name.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    const list = parsed?.ingress ?? parsed?.rules ?? parsed?.config?.ingress;
    if (Array.isArray(list)) return list;
  }
  return [];
}

describe("outputs for the Worker", () => {
  const output = (name: string) => blocks(tf, "output").find((o) => o.module === "." && o.name === name)!.body.value as Record<string, string>;

  it("carry every setting the Worker needs to reach, wake and pay for the origin", () => {
    const names = [...Object.keys(output("worker_vars")), ...Object.keys(output("worker_secrets"))];
    for (const n of ["ORIGIN_URL", "ORIGIN_INSTANCE_ID", "ORIGIN_REGION", "ORIGIN_MODELS", "ORIGIN_SHARED_SECRET", "ORIGIN_ACCESS_CLIENT_ID", "ORIGIN_ACCESS_CLIENT_SECRET", "ORIGIN_LITELLM_KEY", "DATABASE_URL", "MASTER_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      expect(names, n).toContain(n);
    }
    // The LiteLLM key the Worker presents is the one the origin's LiteLLM is started with.
    expect(output("worker_secrets").ORIGIN_LITELLM_KEY).toBe("${random_password.litellm_master_key.result}");
    expect(output("worker_vars").ORIGIN_MODELS).toBe("${jsonencode({ for m in local.origin_models : m.name => try(m.price, null) })}");
    expect(local(tf, ".", "origin_models")).toBe('${jsondecode(file("${local.origin_dir}/litellm/origin-models.json")).models}');
  });

  it("name only settings the Worker reads (a typo would be a setting nobody uses)", () => {
    const workerSource = tfWorkerSource();
    for (const n of [...Object.keys(output("worker_vars")), ...Object.keys(output("worker_secrets"))]) expect(workerSource, n).toContain(`"${n}"`);
  });
});

/** Every TypeScript file under worker/, concatenated (the settings the Worker reads are string literals there). */
function tfWorkerSource(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".ts")) out.push(readFileSync(join(d, e.name), "utf8"));
    }
  };
  walk(join(REPO_ROOT, "worker"));
  return out.join("\n");
}
