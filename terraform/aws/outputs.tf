output "origin_instance_id" {
  value = aws_instance.origin.id
}

output "video_buckets" {
  description = "Video output bucket by region."
  value = {
    "us-east-1" = module.video_bucket_use1.name
    "us-west-2" = module.video_bucket_usw2.name
  }
}

output "worker_access_key" {
  sensitive = true
  value = {
    id     = aws_iam_access_key.worker.id
    secret = aws_iam_access_key.worker.secret
  }
}

output "ssm_parameter_names" {
  value = { for k, p in aws_ssm_parameter.origin : k => p.name }
}

output "origin_artifacts" {
  description = "Where npm run deploy publishes the origin's artifacts and their checksums."
  value = {
    bucket     = module.artifacts_bucket.name
    region     = var.region
    ssm_prefix = "${local.ssm_prefix}/artifacts"
  }
}
