terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws: the main region; aws.use1 / aws.usw2: where Nova Reel and Luma Ray2 render (each needs its own bucket).
      configuration_aliases = [aws.use1, aws.usw2]
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}
