"""Routes of the housing area (filled in by the issue that builds it)."""
ROUTES: dict = {}
