"""Disclosure reports (DESIGN.md, "The disclosure report").

- ``scope``: what a report covers; ``source``: the compliance engine's disclosure dict.
- ``context`` (with ``listing`` and ``charts``): plain data for the print template, the long
  parts already cut into fixed-height pages of monospaced lines.
- ``render``: WeasyPrint in worker processes (locked-down fetcher, time limit), parts merged
  with pikepdf; ``furniture``: "Page n of m" stamped on the merged file.
- ``pdfa``: PDF/A-3b attachments (ledger CSV, disclosure JSON); ``signing``: PAdES.
- ``service``: issue a report, or serve the stored one made from the same data.
- ``jobs``: background jobs on huey (SQLite, or Redis with ``REDIS_URL``).
- ``verify``: issued here? signature holds? data changed since?
- ``synthetic``: disclosures of any size for the benchmark and the tests.
"""
