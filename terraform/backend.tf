# State lives in S3, encrypted, with S3's native lock file (no DynamoDB table). The bucket is created once by the
# separate root in ./state (see README "Deployment"); its name is passed at init time:
#   terraform -chdir=terraform init -backend-config=backend.hcl
terraform {
  backend "s3" {
    key          = "breakwater/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
