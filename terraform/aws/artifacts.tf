# What the origin installs that is built from this repository: the video sidecar's bundle and LiteLLM's hash-locked
# requirements. `npm run deploy` uploads them and publishes their SHA-256 in SSM (<prefix>/artifacts/*); the
# bootstrap refuses a file whose checksum differs. Every deploy uploads them again, so a year's expiry only drops
# artifacts nobody has deployed since.

module "artifacts_bucket" {
  source = "./private-bucket"

  name          = "${var.name}-artifacts-${local.account_id}"
  expire_days   = 365
  force_destroy = true
}
