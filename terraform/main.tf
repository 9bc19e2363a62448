locals {
  gateway_hostname = "${var.gateway_subdomain}.${var.zone_name}"
  origin_hostname  = "${var.origin_subdomain}.${var.zone_name}"

  # The origin's files (origin/): what the instance runs, read where they live so there is one copy of each.
  origin_dir = "${path.root}/../origin"
  # The bootstrap (cloud-init) template: the one place that names it. Variables passed: see aws/origin.tf.
  bootstrap_template = "${local.origin_dir}/bootstrap/bootstrap.sh.tpl"
  origin_pins        = jsondecode(file("${local.origin_dir}/bootstrap/pins.json"))
  origin_models      = jsondecode(file("${local.origin_dir}/litellm/origin-models.json")).models
  origin_files = {
    litellm_config   = trimspace(file("${local.origin_dir}/litellm/config.yaml"))
    litellm_unit     = trimspace(file("${local.origin_dir}/systemd/litellm.service"))
    sidecar_unit     = trimspace(file("${local.origin_dir}/systemd/breakwater-sidecar.service"))
    cloudflared_unit = trimspace(file("${local.origin_dir}/systemd/cloudflared.service"))
  }

  # Tunnel ingress: the origin's own rules (origin/cloudflared/ingress.json, which `npm run dev` routes by too). Its
  # 404 catch-all is dropped here because the tunnel config adds the hostname-scoped rules and one catch-all itself.
  tunnel_ingress = [for r in jsondecode(file("${local.origin_dir}/cloudflared/ingress.json")).rules : r if can(r.path)]

  # Generated from the Worker's code by `npm run terraform:generate`; a test fails when either is stale.
  bedrock_catalog = jsondecode(file("${path.root}/generated/bedrock-models.json"))
  waf             = jsondecode(file("${path.root}/generated/waf.json"))
}

# Secrets nobody types: generated once, kept in state and SSM, handed to the Worker by `npm run deploy`.
resource "random_password" "master_key" {
  length  = 48
  special = false
}

resource "random_password" "origin_shared_secret" {
  length  = 64
  special = false
}

resource "random_password" "litellm_master_key" {
  length  = 48
  special = false
}

module "cloudflare" {
  source = "./cloudflare"

  name                           = var.name
  account_id                     = var.cloudflare_account_id
  zone_id                        = var.cloudflare_zone_id
  zone_name                      = var.zone_name
  gateway_hostname               = local.gateway_hostname
  origin_hostname                = local.origin_hostname
  access_team_name               = var.access_team_name
  client_token_names             = var.client_token_names
  worker_name                    = var.worker_name
  origin_idle_cron               = var.origin_idle_cron
  tunnel_ingress                 = local.tunnel_ingress
  waf_route_allowlist            = local.waf.route_allowlist
  waf_raw_path_guard             = local.waf.raw_path_guard
  rate_limit_requests_per_period = var.rate_limit_requests_per_period
  rate_limit_period_seconds      = var.rate_limit_period_seconds
}

module "aws" {
  source = "./aws"
  providers = {
    aws      = aws
    aws.use1 = aws.use1
    aws.usw2 = aws.usw2
  }

  name                       = var.name
  region                     = var.aws_region
  instance_type              = var.instance_type
  root_volume_gb             = var.root_volume_gb
  bootstrap_template         = local.bootstrap_template
  origin_files               = local.origin_files
  litellm_version            = local.origin_pins.litellm_version
  cloudflared_version        = local.origin_pins.cloudflared_version
  origin_hostname            = local.origin_hostname
  alert_email                = var.alert_email
  daily_bedrock_budget_usd   = var.daily_bedrock_budget_usd
  monthly_budget_usd         = var.monthly_budget_usd
  audit_bucket_force_destroy = var.audit_bucket_force_destroy
  video_models               = var.video_models
  catalog_video_models       = local.bedrock_catalog.origin_video_models
  worker_bedrock             = local.bedrock_catalog.worker_by_geo[var.bedrock_geo_prefix]

  secrets = {
    tunnel_token         = module.cloudflare.tunnel_token
    origin_shared_secret = random_password.origin_shared_secret.result
    litellm_master_key   = random_password.litellm_master_key.result
    database_url         = var.database_url
  }
}
