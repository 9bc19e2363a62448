# The origin: LiteLLM and the video sidecar behind cloudflared, on one small instance the Worker wakes and stops.

locals {
  arch = startswith(var.instance_type, "t4g.") ? "arm64" : "x86_64"

  # Variables the bootstrap template receives (the contract with origin/bootstrap/bootstrap.sh.tpl): names and
  # versions only, never secrets; the instance reads secrets and the artifacts' checksums from SSM with its role.
  ssm_prefix = "/${var.name}"
  bootstrap_vars = {
    region                 = var.region
    ssm_prefix             = local.ssm_prefix
    artifacts_bucket       = module.artifacts_bucket.name
    litellm_version        = var.litellm_version
    cloudflared_version    = var.cloudflared_version
    video_bucket_us_east_1 = module.video_bucket_use1.name
    video_bucket_us_west_2 = module.video_bucket_usw2.name
    litellm_config         = var.origin_files.litellm_config
    litellm_unit           = var.origin_files.litellm_unit
    sidecar_unit           = var.origin_files.sidecar_unit
    cloudflared_unit       = var.origin_files.cloudflared_unit
  }
}

resource "aws_instance" "origin" {
  ami                         = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.arch}"
  instance_type               = var.instance_type
  subnet_id                   = sort(data.aws_subnets.default.ids)[0]
  vpc_security_group_ids      = [aws_security_group.origin.id]
  iam_instance_profile        = aws_iam_instance_profile.origin.name
  associate_public_ip_address = true # outbound only: the security group has no ingress
  ebs_optimized               = true
  monitoring                  = false

  # EC2 takes at most 16 KB of user data before base64: the template is gzipped (cloud-init unpacks it).
  user_data_base64            = base64gzip(templatefile(var.bootstrap_template, local.bootstrap_vars))
  user_data_replace_on_change = true # the origin keeps no state (Postgres is Neon): an upgrade is a fresh boot

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1          # no credentials for anything one network hop away (SSRF, containers)
    instance_metadata_tags      = "disabled"
  }

  maintenance_options {
    auto_recovery = "default"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name     = "${var.name}-origin"
    Snapshot = "${var.name}-daily" # the DLM policy's target
  }

  lifecycle {
    # A newer AMI must not replace a running origin on an unrelated apply; upgrades replace it on purpose.
    ignore_changes = [ami]
  }
}

# ---- Secrets the origin reads at boot ---------------------------------------------------------------------------

locals {
  ssm_parameters = {
    tunnel_token                = "tunnel-token"
    origin_access_client_id     = "origin-access-client-id"
    origin_access_client_secret = "origin-access-client-secret"
    origin_shared_secret        = "origin-shared-secret"
    litellm_master_key          = "litellm-master-key"
    database_url                = "database-url"
  }
}

resource "aws_ssm_parameter" "origin" {
  for_each = local.ssm_parameters
  name     = "${local.ssm_prefix}/${each.value}"
  type     = "SecureString"
  value    = var.secrets[each.key]
}

# ---- The origin's role: video jobs, its two buckets, its own parameters; nothing else ---------------------------

resource "aws_iam_role" "origin" {
  name               = "${var.name}-origin"
  assume_role_policy = data.aws_iam_policy_document.assume["ec2"].json
}

resource "aws_iam_instance_profile" "origin" {
  name = "${var.name}-origin"
  role = aws_iam_role.origin.name
}

locals {
  video_regions = ["us-east-1", "us-west-2"]
  video_model_arns = distinct(concat(
    [for id, region in var.video_models : "arn:${local.partition}:bedrock:${region}::foundation-model/${id}"],
    flatten([for id in var.catalog_video_models : [for r in local.video_regions : "arn:${local.partition}:bedrock:${r}::foundation-model/${id}"]]),
  ))
  async_invoke_arns = [for r in local.video_regions : "arn:${local.partition}:bedrock:${r}:${local.account_id}:async-invoke/*"]
  video_bucket_arns = [module.video_bucket_use1.arn, module.video_bucket_usw2.arn]
}

data "aws_iam_policy_document" "origin" {
  statement {
    sid       = "StartVideoJobs"
    actions   = ["bedrock:InvokeModel", "bedrock:StartAsyncInvoke"]
    resources = concat(local.video_model_arns, local.async_invoke_arns)
  }
  statement {
    sid       = "PollVideoJobs"
    actions   = ["bedrock:GetAsyncInvoke"]
    resources = local.async_invoke_arns
  }
  statement {
    # The sidecar's health check lists one job per region. AWS has no resource type for this read-only list action.
    sid       = "ListVideoJobs"
    actions   = ["bedrock:ListAsyncInvokes"]
    resources = ["*"]
  }
  statement {
    sid       = "VideoObjects"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = [for arn in local.video_bucket_arns : "${arn}/*"]
  }
  statement {
    sid       = "VideoListing"
    actions   = ["s3:ListBucket"]
    resources = local.video_bucket_arns
  }
  statement {
    sid     = "OwnParameters"
    actions = ["ssm:GetParameter", "ssm:GetParameters"]
    # Its secrets, and the artifact checksums npm run deploy publishes under <prefix>/artifacts/.
    resources = concat([for p in aws_ssm_parameter.origin : p.arn], ["arn:${local.partition}:ssm:${var.region}:${local.account_id}:parameter${local.ssm_prefix}/artifacts/*"])
  }
  statement {
    sid       = "OriginArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["${module.artifacts_bucket.arn}/*"]
  }
}

resource "aws_iam_role_policy" "origin" {
  name   = "${var.name}-origin"
  role   = aws_iam_role.origin.id
  policy = data.aws_iam_policy_document.origin.json
}
