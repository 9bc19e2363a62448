variable "name" {
  type = string
}

variable "region" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "root_volume_gb" {
  type = number
}

variable "bootstrap_template" {
  description = "Path of the origin's cloud-init template (rendered with templatefile, gzip+base64)."
  type        = string
}

variable "origin_files" {
  description = "Contents of the origin's files the bootstrap writes: litellm_config, litellm_unit, sidecar_unit, cloudflared_unit."
  type = object({
    litellm_config   = string
    litellm_unit     = string
    sidecar_unit     = string
    cloudflared_unit = string
  })
}

variable "litellm_version" {
  type = string
}

variable "cloudflared_version" {
  type = string
}

variable "origin_hostname" {
  type = string
}

variable "alert_email" {
  type = string
}

variable "daily_bedrock_budget_usd" {
  type = number
}

variable "monthly_budget_usd" {
  type = number
}

variable "audit_bucket_force_destroy" {
  type = bool
}

variable "video_models" {
  description = "Bedrock video model id => region it renders in."
  type        = map(string)
}

variable "catalog_video_models" {
  description = "Video models found in the Worker's catalog (generated); allowed in both video regions."
  type        = list(string)
}

variable "worker_bedrock" {
  description = "What the Worker calls for the chosen geo prefix (generated from the catalog)."
  type = object({
    inference_profiles = list(string)
    profile_models     = list(string)
    direct_models      = list(string)
    pinned_profiles    = list(string)
    pinned_models      = list(string)
  })
}

variable "secrets" {
  description = "Values stored as SSM SecureStrings for the origin."
  sensitive   = true
  type = object({
    tunnel_token                = string
    origin_access_client_id     = string
    origin_access_client_secret = string
    origin_shared_secret        = string
    litellm_master_key          = string
    database_url                = string
  })
}
