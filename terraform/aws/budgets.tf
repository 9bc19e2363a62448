# E-mail alerts at 80 % and 100 % of a daily Bedrock budget and a monthly total. Alerts only: the per-key budgets in
# the gateway are what stop spending.

locals {
  alert_thresholds = [80, 100]
  budgets = {
    bedrock-daily = { limit = var.daily_bedrock_budget_usd, time_unit = "DAILY", services = ["Amazon Bedrock"] }
    monthly-total = { limit = var.monthly_budget_usd, time_unit = "MONTHLY", services = [] }
  }
}

resource "aws_budgets_budget" "alert" {
  for_each     = local.budgets
  name         = "${var.name}-${each.key}"
  budget_type  = "COST"
  limit_amount = tostring(each.value.limit)
  limit_unit   = "USD"
  time_unit    = each.value.time_unit

  dynamic "cost_filter" {
    for_each = length(each.value.services) > 0 ? [each.value.services] : []
    content {
      name   = "Service"
      values = cost_filter.value
    }
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
