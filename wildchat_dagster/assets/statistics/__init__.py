"""Statistics: monthly_stats over a month's release."""
