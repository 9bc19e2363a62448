# Daily snapshots kept a week (Data Lifecycle Manager) and automatic recovery when the host fails its system check.

resource "aws_iam_role" "dlm" {
  name               = "${var.name}-dlm"
  assume_role_policy = data.aws_iam_policy_document.assume["dlm"].json
}

# AWS's own policy for DLM (snapshot create/delete/describe); AWS maintains it as the service changes.
resource "aws_iam_role_policy_attachment" "dlm" {
  role       = aws_iam_role.dlm.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
}

resource "aws_dlm_lifecycle_policy" "daily" {
  description        = "${var.name} origin: daily snapshots, kept 7 days"
  execution_role_arn = aws_iam_role.dlm.arn
  state              = "ENABLED"

  policy_details {
    resource_types = ["INSTANCE"]
    target_tags    = { Snapshot = "${var.name}-daily" }

    schedule {
      name      = "daily-03utc-keep-7"
      copy_tags = true
      create_rule {
        interval      = 24
        interval_unit = "HOURS"
        times         = ["03:00"]
      }
      retain_rule {
        count = 7
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "recover" {
  alarm_name          = "${var.name}-origin-recover"
  alarm_description   = "Recover the origin (same id, address and volumes) when its host fails the system status check"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "missing" # a stopped (idle) origin reports nothing: that is not a failure
  dimensions          = { InstanceId = aws_instance.origin.id }
  alarm_actions       = ["arn:${local.partition}:automate:${var.region}:ec2:recover"]
}
