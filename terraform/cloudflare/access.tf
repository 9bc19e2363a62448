# Cloudflare Access in front of both hostnames, service tokens only (no identity provider, no browser logins):
# - gateway: one token per client, plus the admin token (the Worker also checks which token may reach admin paths);
# - origin:  only the Worker's own token.
# Tokens are renewed before they expire by replacing them (create_before_destroy) and running npm run deploy.

resource "cloudflare_zero_trust_access_service_token" "client" {
  for_each   = toset(var.client_token_names)
  account_id = var.account_id
  name       = "${var.name} client ${each.key}"
  duration   = "8760h"
  lifecycle {
    create_before_destroy = true
  }
}

resource "cloudflare_zero_trust_access_service_token" "admin" {
  account_id = var.account_id
  name       = "${var.name} admin"
  duration   = "8760h"
  lifecycle {
    create_before_destroy = true
  }
}

resource "cloudflare_zero_trust_access_service_token" "worker_to_origin" {
  account_id = var.account_id
  name       = "${var.name} worker to origin"
  duration   = "8760h"
  lifecycle {
    create_before_destroy = true
  }
}

# Reusable policies ("Service Auth": decision non_identity), attached to the applications below.
resource "cloudflare_zero_trust_access_policy" "gateway_callers" {
  account_id = var.account_id
  name       = "${var.name} gateway callers"
  decision   = "non_identity"
  include = concat(
    [for t in cloudflare_zero_trust_access_service_token.client : { service_token = { token_id = t.id } }],
    [{ service_token = { token_id = cloudflare_zero_trust_access_service_token.admin.id } }],
  )
}

resource "cloudflare_zero_trust_access_policy" "worker_only" {
  account_id = var.account_id
  name       = "${var.name} gateway worker"
  decision   = "non_identity"
  include    = [{ service_token = { token_id = cloudflare_zero_trust_access_service_token.worker_to_origin.id } }]
}

resource "cloudflare_zero_trust_access_application" "gateway" {
  account_id                = var.account_id
  type                      = "self_hosted"
  name                      = "${var.name} gateway"
  domain                    = var.gateway_hostname
  session_duration          = "24h"
  service_auth_401_redirect = true # a missing or bad token is a 401, not a login page
  policies                  = [{ id = cloudflare_zero_trust_access_policy.gateway_callers.id, precedence = 1 }]
}

resource "cloudflare_zero_trust_access_application" "origin" {
  account_id                = var.account_id
  type                      = "self_hosted"
  name                      = "${var.name} origin"
  domain                    = var.origin_hostname
  session_duration          = "24h"
  service_auth_401_redirect = true
  policies                  = [{ id = cloudflare_zero_trust_access_policy.worker_only.id, precedence = 1 }]
}
