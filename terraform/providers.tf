provider "aws" {
  region = var.aws_region
  default_tags {
    tags = { Project = var.name, ManagedBy = "terraform" }
  }
}

# Bedrock writes a video job's output to a bucket in the model's own region: Nova Reel us-east-1, Luma Ray2 us-west-2.
provider "aws" {
  alias  = "use1"
  region = "us-east-1"
  default_tags {
    tags = { Project = var.name, ManagedBy = "terraform" }
  }
}

provider "aws" {
  alias  = "usw2"
  region = "us-west-2"
  default_tags {
    tags = { Project = var.name, ManagedBy = "terraform" }
  }
}

# Token from CLOUDFLARE_API_TOKEN. Permissions: Account Cloudflare Tunnel Edit, Access Apps and Policies Edit,
# Access Service Tokens Edit, Workers Scripts Edit; Zone DNS Edit, Zone WAF Edit, Workers Routes Edit.
provider "cloudflare" {}
