# Zone WAF, before Access and the Worker. Three custom rules (the Free plan allows five, no regex) and one rate limit.
# The route allowlist and the raw-path guard are generated from the Worker's own route table and path checks
# (worker/edge/firewall.ts, npm run terraform:generate), so the edge and the Worker cannot drift apart.

locals {
  not_found = {
    status_code  = 404
    content_type = "application/json"
    content      = jsonencode({ error = { type = "not_found_error", message = "Not found." } })
  }
  bad_path = {
    status_code  = 400
    content_type = "application/json"
    content      = jsonencode({ error = { type = "invalid_request_error", message = "Malformed request path." } })
  }
}

resource "cloudflare_ruleset" "firewall" {
  zone_id     = var.zone_id
  name        = "${var.name} firewall"
  description = "Breakwater: raw-path guards, the Worker's route allowlist, origin reachable only from the Worker"
  kind        = "zone"
  phase       = "http_request_firewall_custom"

  rules = [
    {
      ref               = "raw_path_guard"
      description       = "Paths a normaliser would rewrite (.., //, encoded . / \\, backslash): the Worker only sees them normalised"
      expression        = "(http.host in {\"${var.gateway_hostname}\" \"${var.origin_hostname}\"} and (${var.waf_raw_path_guard}))"
      action            = "block"
      action_parameters = { response = local.bad_path }
    },
    {
      ref               = "gateway_route_allowlist"
      description       = "Only the methods and paths the Worker serves"
      expression        = "(http.host eq \"${var.gateway_hostname}\" and not (${var.waf_route_allowlist}))"
      action            = "block"
      action_parameters = { response = local.not_found }
    },
    {
      ref               = "origin_only_from_worker"
      description       = "The tunnel hostname answers subrequests of this zone's Worker and nothing else"
      expression        = "(http.host eq \"${var.origin_hostname}\" and cf.worker.upstream_zone ne \"${var.zone_name}\")"
      action            = "block"
      action_parameters = { response = local.not_found }
    },
  ]
}

resource "cloudflare_ruleset" "rate_limit" {
  zone_id     = var.zone_id
  name        = "${var.name} rate limit"
  description = "Per-IP request ceiling at the edge, before Access and the Worker"
  kind        = "zone"
  phase       = "http_ratelimit"

  rules = [
    {
      ref         = "per_ip_ceiling"
      description = "Too many requests from one address"
      # Path is the only field the Free plan allows here; every path of the zone counts.
      expression = "(http.request.uri.path wildcard \"/*\")"
      action     = "block"
      ratelimit = {
        characteristics     = ["cf.colo.id", "ip.src"]
        period              = var.rate_limit_period_seconds
        requests_per_period = var.rate_limit_requests_per_period
        mitigation_timeout  = 10
      }
    },
  ]
}
