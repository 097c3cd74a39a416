"""Disclosure reports (DESIGN.md, "The disclosure report").

- ``source``: the compliance engine's disclosure dict for a scope (``compliance.scope``).
- ``sections``: the report's sections, numbers and titles, in order.
- ``context`` (with ``listing`` and ``charts``): plain data for the print template, the long
  parts already cut into fixed-height pages of monospaced lines.
- ``render``: WeasyPrint in worker processes (locked-down fetcher, time limit), parts merged
  with pikepdf; ``furniture``: "Page n of m" stamped on the merged file.
- ``pdfa``: PDF/A-3b attachments (ledger CSV, disclosure JSON); ``signing``: PAdES.
- ``service``: ``request_report``, the one way to ask for a report (served from the store,
  made now, or queued), and ``issue``, which makes one.
- ``jobs``: background jobs on huey (SQLite, or Redis with ``REDIS_URL``); ``worker.py`` at
  the top of the repository starts their consumer.
- ``statements``: the deployments a volunteer has a statement in.
- ``verify``: issued here? signature holds? data changed since?

Disclosures of any size for the tests and the benchmark: ``tests/synthetic.py``.
"""
