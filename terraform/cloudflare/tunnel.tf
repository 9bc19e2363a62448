# A remotely managed tunnel: its ingress lives here, cloudflared on the origin only needs the token (kept in SSM).
# The origin hostname is public in DNS but answers only requests that carry the Worker's Access service token, and
# cloudflared checks the Access JWT again before anything reaches a local port.

resource "cloudflare_zero_trust_tunnel_cloudflared" "origin" {
  account_id = var.account_id
  name       = "${var.name}-origin"
  config_src = "cloudflare"
}

data "cloudflare_zero_trust_tunnel_cloudflared_token" "origin" {
  account_id = var.account_id
  tunnel_id  = cloudflare_zero_trust_tunnel_cloudflared.origin.id
}

locals {
  origin_request = {
    access = {
      required  = true
      team_name = var.access_team_name
      aud_tag   = [cloudflare_zero_trust_access_application.origin.aud]
    }
  }
}

resource "cloudflare_zero_trust_tunnel_cloudflared_config" "origin" {
  account_id = var.account_id
  tunnel_id  = cloudflare_zero_trust_tunnel_cloudflared.origin.id
  config = {
    ingress = concat(
      [for rule in var.tunnel_ingress : merge(
        { hostname = var.origin_hostname, service = rule.service, origin_request = local.origin_request },
        contains(keys(rule), "path") ? { path = rule.path } : {},
      )],
      [{ service = "http_status:404" }], # mandatory catch-all: any other hostname or path gets nothing
    )
  }
}

resource "cloudflare_dns_record" "origin" {
  zone_id = var.zone_id
  name    = var.origin_hostname
  type    = "CNAME"
  content = "${cloudflare_zero_trust_tunnel_cloudflared.origin.id}.cfargotunnel.com"
  ttl     = 1
  proxied = true
  comment = "Breakwater origin (Cloudflare Tunnel); only the gateway Worker may call it"
}
