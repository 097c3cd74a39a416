"""``report disclosure SLUG -o FILE.pdf``, ``report verify FILE``, ``keys create-demo`` (reports issue)."""
GROUPS: list = []
