# The Worker itself, its custom domain and its Cron Trigger. Terraform owns the Worker's existence, hostname and
# schedule; wrangler (npm run deploy) owns its code, bindings, settings and secrets. wrangler.toml therefore declares
# no routes and no [triggers] (wrangler leaves both alone when they are absent).

resource "cloudflare_worker" "gateway" {
  account_id = var.account_id
  name       = var.worker_name
  subdomain = {
    enabled          = false # no *.workers.dev address: it would bypass Access and the WAF
    previews_enabled = false
  }
  observability = {
    enabled            = true
    head_sampling_rate = 1
  }
}

resource "cloudflare_workers_custom_domain" "gateway" {
  account_id = var.account_id
  zone_id    = var.zone_id
  hostname   = var.gateway_hostname
  service    = cloudflare_worker.gateway.name
}

# Runs the Worker's scheduled handler: the origin's idle stop.
resource "cloudflare_workers_cron_trigger" "gateway" {
  account_id  = var.account_id
  script_name = cloudflare_worker.gateway.name
  schedules   = [{ cron = var.origin_idle_cron }] # v5.22 schema: a list of { cron }
}
