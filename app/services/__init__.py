"""Domain logic as plain functions.

Services take the acting user explicitly, flush but never commit, and raise ``DomainError``
subclasses; the caller (view, CLI command, API endpoint or test) commits once.
"""
