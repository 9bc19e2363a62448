# Bedrock writes a video job's output to a bucket in the model's own region: Nova Reel us-east-1, Luma Ray2 us-west-2.
# Videos are ephemeral (presigned links last an hour), so objects expire after 7 days and destroy may empty them.

module "video_bucket_use1" {
  source    = "./private-bucket"
  providers = { aws = aws.use1 }

  name          = "${var.name}-video-${local.account_id}-us-east-1"
  expire_days   = 7
  force_destroy = true
}

module "video_bucket_usw2" {
  source    = "./private-bucket"
  providers = { aws = aws.usw2 }

  name          = "${var.name}-video-${local.account_id}-us-west-2"
  expire_days   = 7
  force_destroy = true
}
