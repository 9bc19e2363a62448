# Everything the Worker needs, in two maps `npm run deploy` hands to wrangler as they are: plain settings become
# `--var`s, secrets go up with the deployment (`--secrets-file`), never through the command line or a log.

output "worker_name" {
  description = "The Worker script wrangler deploys into."
  value       = var.worker_name
}

output "gateway_url" {
  description = "Where clients point ANTHROPIC_BASE_URL / OPENAI_BASE_URL."
  value       = "https://${local.gateway_hostname}"
}

output "worker_vars" {
  description = "Plain (non-secret) Worker settings."
  value = {
    AWS_REGION              = var.aws_region
    BEDROCK_GEO_PREFIX      = var.bedrock_geo_prefix
    ALLOWED_HOSTS           = local.gateway_hostname
    ACCESS_TEAM_DOMAIN      = "https://${var.access_team_name}.cloudflareaccess.com"
    ACCESS_AUD              = module.cloudflare.gateway_access_aud
    ACCESS_CLIENT_IDS       = join(",", module.cloudflare.client_ids)
    ACCESS_ADMIN_CLIENT_IDS = module.cloudflare.admin_client_id
    ORIGIN_URL              = "https://${local.origin_hostname}"
    ORIGIN_INSTANCE_ID      = module.aws.origin_instance_id
    ORIGIN_REGION           = var.aws_region
    # Models only the origin serves (LiteLLM), with their prices: the same file the LiteLLM config is generated from.
    ORIGIN_MODELS = jsonencode({ for m in local.origin_models : m.name => try(m.price, null) })
  }
}

output "worker_secrets" {
  description = "Worker secrets (uploaded with the deployment by npm run deploy)."
  sensitive   = true
  value = {
    AWS_ACCESS_KEY_ID           = module.aws.worker_access_key.id
    AWS_SECRET_ACCESS_KEY       = module.aws.worker_access_key.secret
    DATABASE_URL                = var.database_url
    MASTER_KEY                  = random_password.master_key.result
    ORIGIN_SHARED_SECRET        = random_password.origin_shared_secret.result
    ORIGIN_LITELLM_KEY          = random_password.litellm_master_key.result
    ORIGIN_ACCESS_CLIENT_ID     = module.cloudflare.origin_service_token.client_id
    ORIGIN_ACCESS_CLIENT_SECRET = module.cloudflare.origin_service_token.client_secret
  }
}

output "admin_access_token" {
  description = "Access service token for the admin CLI (BREAKWATER_ACCESS_CLIENT_ID / _SECRET) and the smoke test."
  sensitive   = true
  value       = module.cloudflare.admin_service_token
}

output "client_access_tokens" {
  description = "Access service tokens for clients, by name (CF-Access-Client-Id / CF-Access-Client-Secret headers)."
  sensitive   = true
  value       = module.cloudflare.client_service_tokens
}

output "origin_instance_id" {
  description = "The origin EC2 instance."
  value       = module.aws.origin_instance_id
}

output "ssm_parameters" {
  description = "Names of the SecureString parameters the origin reads at boot."
  value       = module.aws.ssm_parameter_names
}

output "origin_artifacts" {
  description = "Where npm run deploy uploads the origin's artifacts (bucket, region) and publishes their SHA-256 (SSM prefix)."
  value       = module.aws.origin_artifacts
}

output "cloudflare_account_id" {
  description = "Handed to wrangler (CLOUDFLARE_ACCOUNT_ID) by npm run deploy."
  value       = var.cloudflare_account_id
}
