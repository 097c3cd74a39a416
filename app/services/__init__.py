"""Domain logic as plain functions: views, CLI commands, the API and jobs all call these.

Services take the acting user explicitly, flush but never commit, and raise ``DomainError``
subclasses; the caller commits once. What runs behind a service's back when rows change or a
transaction commits (findings, the audit chain …) is listed, in order, in ``hooks.py``.

A subject's changes and what its pages read are kept apart where both are large
(``housing`` / ``housing_reads``, ``signups`` / ``rosters``). Shared vocabularies have one
module each: ``money`` (amounts, rates, conversion, display), ``choices`` (the enums' values),
``paging`` (pages of lists and their query strings), ``csv_import`` (reading and writing
spreadsheet cells safely).
"""
