# The Worker's own AWS principal. It signs Bedrock calls and wakes/stops the origin, and can do nothing else:
# Bedrock on exactly the models in the catalog (generated from worker/models/catalog-data.ts), EC2 start/stop on the
# one origin instance, and DescribeInstances, which AWS only grants on "*" (it is read-only).

locals {
  worker_bedrock_arns = concat(
    # The inference profiles called in this region (us.anthropic.…)
    [for id in var.worker_bedrock.inference_profiles : "arn:${local.partition}:bedrock:${var.region}:${local.account_id}:inference-profile/${id}"],
    # …and their models in whichever region of the geography the profile routes to.
    [for id in var.worker_bedrock.profile_models : "arn:${local.partition}:bedrock:*::foundation-model/${id}"],
    # Models called directly by their base id, in this region (Converse-only models, embeddings, CountTokens).
    [for id in var.worker_bedrock.direct_models : "arn:${local.partition}:bedrock:${var.region}::foundation-model/${id}"],
    # Models Bedrock serves in one region only (the image models: Stability in us-west-2, Nova Canvas in us-east-1),
    # called in that region whatever var.region is; exact ids, any region.
    [for id in var.worker_bedrock.pinned_profiles : "arn:${local.partition}:bedrock:*:${local.account_id}:inference-profile/${id}"],
    [for id in var.worker_bedrock.pinned_models : "arn:${local.partition}:bedrock:*::foundation-model/${id}"],
  )
}

resource "aws_iam_user" "worker" {
  name = "${var.name}-worker"
  path = "/${var.name}/"
}

resource "aws_iam_access_key" "worker" {
  user = aws_iam_user.worker.name
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid       = "BedrockCatalogModels"
    actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CountTokens"]
    resources = local.worker_bedrock_arns
  }
  statement {
    sid       = "WakeAndStopOrigin"
    actions   = ["ec2:StartInstances", "ec2:StopInstances"]
    resources = [aws_instance.origin.arn]
  }
  statement {
    sid       = "OriginState"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }
}

resource "aws_iam_user_policy" "worker" {
  name   = "${var.name}-worker"
  user   = aws_iam_user.worker.name
  policy = data.aws_iam_policy_document.worker.json
}
