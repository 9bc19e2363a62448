# E-mail alerts at 80 % and 100 % of a daily Bedrock budget and a monthly total. Alerts only: the per-key budgets in
# the gateway are what stop spending.

locals {
  alert_thresholds = [80, 100]
}

resource "aws_budgets_budget" "bedrock_daily" {
  name         = "${var.name}-bedrock-daily"
  budget_type  = "COST"
  limit_amount = tostring(var.daily_bedrock_budget_usd)
  limit_unit   = "USD"
  time_unit    = "DAILY"

  cost_filter {
    name   = "Service"
    values = ["Amazon Bedrock"]
  }

  dynamic "notification" {
    for_each = local.alert_thresholds
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value
      threshold_type             = "PERCENTAGE"
      notification_type          = "ACTUAL"
      subscriber_email_addresses = [var.alert_email]
    }
  }
}

resource "aws_budgets_budget" "monthly_total" {
  name         = "${var.name}-monthly-total"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "notification" {
    for_each = local.alert_thresholds
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value
      threshold_type             = "PERCENTAGE"
      notification_type          = "ACTUAL"
      subscriber_email_addresses = [var.alert_email]
    }
  }
}
