variable "name" {
  type = string
}

variable "account_id" {
  type = string
}

variable "zone_id" {
  type = string
}

variable "zone_name" {
  type = string
}

variable "gateway_hostname" {
  type = string
}

variable "origin_hostname" {
  type = string
}

variable "access_team_name" {
  type = string
}

variable "client_token_names" {
  type = list(string)
}

variable "worker_name" {
  type = string
}

variable "origin_idle_cron" {
  type = string
}

variable "tunnel_ingress" {
  description = "Ingress rules without hostname or catch-all: [{ path, service }] (a rule without path matches the rest)."
  type        = list(map(string))
}

variable "waf_route_allowlist" {
  description = "Rules-language expression true for the Worker's allowed method + path pairs (generated)."
  type        = string
}

variable "waf_raw_path_guard" {
  description = "Rules-language expression true for raw paths a normaliser would rewrite (generated)."
  type        = string
}

variable "rate_limit_requests_per_period" {
  type = number
}

variable "rate_limit_period_seconds" {
  type = number
}
