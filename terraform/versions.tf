terraform {
  # 1.10+ for the S3 backend's native lock file (use_lockfile).
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    # The cloudflare v5 schema this configuration is written against (attribute syntax, not v4 blocks).
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "5.22.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
