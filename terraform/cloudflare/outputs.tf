output "tunnel_token" {
  sensitive = true
  value     = data.cloudflare_zero_trust_tunnel_cloudflared_token.origin.token
}

output "gateway_access_aud" {
  description = "The gateway application's AUD tag (ACCESS_AUD)."
  value       = cloudflare_zero_trust_access_application.gateway.aud
}

output "origin_access_aud" {
  value = cloudflare_zero_trust_access_application.origin.aud
}

output "client_service_tokens" {
  sensitive = true
  value = {
    for name, t in cloudflare_zero_trust_access_service_token.client :
    name => { client_id = t.client_id, client_secret = t.client_secret }
  }
}

output "admin_service_token" {
  sensitive = true
  value = {
    client_id     = cloudflare_zero_trust_access_service_token.admin.client_id
    client_secret = cloudflare_zero_trust_access_service_token.admin.client_secret
  }
}

output "origin_service_token" {
  sensitive = true
  value = {
    client_id     = cloudflare_zero_trust_access_service_token.worker_to_origin.client_id
    client_secret = cloudflare_zero_trust_access_service_token.worker_to_origin.client_secret
  }
}

# Client ids are not secret (they name a token; the secret proves it): the Worker's allowlists are built from these.
output "client_ids" {
  value = [for t in cloudflare_zero_trust_access_service_token.client : t.client_id]
}

output "admin_client_id" {
  value = cloudflare_zero_trust_access_service_token.admin.client_id
}
