"""Routes of the signups area (filled in by the issue that builds it)."""
ROUTES: dict = {}
