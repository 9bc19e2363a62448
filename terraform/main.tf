locals {
  gateway_hostname = "${var.gateway_subdomain}.${var.zone_name}"
  origin_hostname  = "${var.origin_subdomain}.${var.zone_name}"

  # The origin's bootstrap (cloud-init) template: the one place that names it. Variables passed: see aws/origin.tf.
  bootstrap_template = "${path.root}/../origin/bootstrap/user-data.sh.tftpl"

  # Tunnel ingress rules (path → local service), kept in one data file; the hostname and catch-all are added here.
  tunnel_ingress = jsondecode(file("${path.root}/tunnel-ingress.json")).rules

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
  litellm_version            = var.litellm_version
  cloudflared_version        = var.cloudflared_version
  origin_hostname            = local.origin_hostname
  alert_email                = var.alert_email
  daily_bedrock_budget_usd   = var.daily_bedrock_budget_usd
  monthly_budget_usd         = var.monthly_budget_usd
  audit_bucket_force_destroy = var.audit_bucket_force_destroy
  video_models               = var.video_models
  catalog_video_models       = local.bedrock_catalog.origin_video_models
  worker_bedrock             = local.bedrock_catalog.worker_by_geo[var.bedrock_geo_prefix]

  secrets = {
    tunnel_token                = module.cloudflare.tunnel_token
    origin_access_client_id     = module.cloudflare.origin_service_token.client_id
    origin_access_client_secret = module.cloudflare.origin_service_token.client_secret
    origin_shared_secret        = random_password.origin_shared_secret.result
    litellm_master_key          = random_password.litellm_master_key.result
    database_url                = var.database_url
  }
}
