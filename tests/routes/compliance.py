"""Routes of the compliance area (filled in by the issue that builds it)."""
ROUTES: dict = {}
