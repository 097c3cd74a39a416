"""Routes of the reports area (filled in by the issue that builds it)."""
ROUTES: dict = {}
