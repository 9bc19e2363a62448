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

# Trust policies of the module's roles: which AWS service may assume each.
data "aws_iam_policy_document" "assume" {
  for_each = toset(["ec2", "dlm"])
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["${each.key}.amazonaws.com"]
    }
  }
}
