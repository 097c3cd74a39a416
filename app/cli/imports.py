"""``import volunteers|costs SLUG FILE.csv [--dry-run]`` (issue: housing, payers and costs)."""
GROUPS: list = []
