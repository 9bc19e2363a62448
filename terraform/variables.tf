# ---- Names and places -----------------------------------------------------------------------------------------
variable "name" {
  description = "Prefix for every resource name (and the project tag)."
  type        = string
  default     = "breakwater"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: lower-case letters, digits and dashes, at most 21 characters."
  }
}

variable "aws_region" {
  description = "Region of the origin instance, the Worker's Bedrock calls and the Nova Reel bucket."
  type        = string
  default     = "us-east-1"
}

variable "worker_name" {
  description = "The Worker's script name: must equal `name` in wrangler.toml (wrangler deploys the code into it)."
  type        = string
  default     = "breakwater"
}

# ---- Cloudflare -----------------------------------------------------------------------------------------------
variable "cloudflare_account_id" {
  description = "Cloudflare account id."
  type        = string
}

variable "cloudflare_zone_id" {
  description = "Id of the zone the gateway and origin hostnames live in."
  type        = string
}

variable "zone_name" {
  description = "The zone's domain, e.g. example.com."
  type        = string
}

variable "gateway_subdomain" {
  description = "The gateway's hostname below the zone: clients call https://<gateway_subdomain>.<zone_name>."
  type        = string
  default     = "llm"
}

variable "origin_subdomain" {
  description = "The tunnel's hostname below the zone; only the Worker calls it."
  type        = string
  default     = "llm-origin"
}

variable "access_team_name" {
  description = "Zero Trust team name: tokens are issued by https://<team>.cloudflareaccess.com."
  type        = string
}

variable "client_token_names" {
  description = "One Access service token per client machine or person (rotate or revoke one without touching the others)."
  type        = list(string)
  default     = ["default"]
}

variable "rate_limit_requests_per_period" {
  description = "Requests one IP may make per period (per Cloudflare data centre) before the edge blocks it."
  type        = number
  default     = 100
}

variable "rate_limit_period_seconds" {
  description = "Rate-limit window. The Free plan allows only 10."
  type        = number
  default     = 10
}

variable "origin_idle_cron" {
  description = "Cron Trigger that runs the Worker's idle check (stops the origin when unused)."
  type        = string
  default     = "*/5 * * * *"
}

# ---- AWS ------------------------------------------------------------------------------------------------------
variable "instance_type" {
  description = "Origin instance type: t3.small (x86_64) or t4g.small (arm64, cheaper)."
  type        = string
  default     = "t3.small"
  validation {
    condition     = contains(["t3.small", "t4g.small"], var.instance_type)
    error_message = "instance_type must be t3.small or t4g.small."
  }
}

variable "root_volume_gb" {
  description = "Size of the origin's encrypted gp3 root volume."
  type        = number
  default     = 20
}

variable "bedrock_geo_prefix" {
  description = "Inference-profile geography the Worker uses (BEDROCK_GEO_PREFIX): us, eu, apac, au, ca, jp, global or none."
  type        = string
  default     = "us"
  validation {
    condition     = contains(["none", "us", "eu", "apac", "au", "ca", "jp", "global"], var.bedrock_geo_prefix)
    error_message = "bedrock_geo_prefix must be one of none, us, eu, apac, au, ca, jp, global."
  }
}

variable "alert_email" {
  description = "Where AWS Budgets sends its alerts."
  type        = string
}

variable "daily_bedrock_budget_usd" {
  description = "Daily Bedrock spend that triggers alerts (at 80 % and 100 %)."
  type        = number
  default     = 10
}

variable "monthly_budget_usd" {
  description = "Monthly total AWS spend that triggers alerts (at 80 % and 100 %)."
  type        = number
  default     = 30
}

variable "video_models" {
  description = "Video models the origin may start async jobs for: Bedrock model id => the region it renders in."
  type        = map(string)
  default = {
    "amazon.nova-reel-v1:1" = "us-east-1"
    "luma.ray-v2:0"         = "us-west-2"
  }
}

variable "audit_bucket_force_destroy" {
  description = "Let `terraform destroy` delete the CloudTrail bucket with its logs (npm run destroy sets it first)."
  type        = bool
  default     = false
}

# ---- Secrets handed in ----------------------------------------------------------------------------------------
variable "database_url" {
  description = "PostgreSQL URL of the Neon database (postgres://…?sslmode=require). Goes to the Worker and the origin."
  type        = string
  sensitive   = true
  validation {
    condition     = can(regex("^postgres(ql)?://", var.database_url))
    error_message = "database_url must be a postgres:// URL."
  }
}
