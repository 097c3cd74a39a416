"""Look inside an uploaded PDF before anything in this process parses it: in a child process
with a memory and CPU limit, and within caps on how far its streams expand.

Why: a PDF's streams are compressed, and 1 MB of deflated zeros is 1 GB. Verifying a report
reads its attachments whole (``pdfa.attachments``), so a 1 MB file with one such attachment
took 2.2 GB of the web worker, and a 3 MB one killed it. The child opens the file with
pikepdf and measures every stream's decoded size without holding it (deflate is counted as
it is inflated, a megabyte at a time). A file whose streams expand past the caps, or that
needs more memory or time than the child is given, is refused with a message that says so;
the verifier then parses only files whose every stream is known to be small.

The child is ``_pdf_inspect.py``, run as a script (``python -I``): it imports pikepdf and
nothing of the app, and sets its own limits before it reads a byte.
"""
from __future__ import annotations

import json
import subprocess  # nosec B404 - runs our own script with this interpreter, no shell
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationFailed

CHILD = Path(__file__).with_name("_pdf_inspect.py")

DEFAULTS = {
    #: What one stream may expand to (a 50,000-line report's disclosure.json is ~30 MB).
    "PDF_MAX_STREAM_BYTES": 64 * 1024 * 1024,
    #: What all streams together may expand to.
    "PDF_MAX_EXPANDED_BYTES": 256 * 1024 * 1024,
    #: The child's address space (RLIMIT_AS) and its time (CPU seconds and wall clock).
    "PDF_INSPECT_MEMORY": 768 * 1024 * 1024,
    "PDF_INSPECT_SECONDS": 20,
}
_MB = 1024 * 1024


class PdfRefused(ValidationFailed):
    """An uploaded PDF that was not opened: too big inside, too slow, or not a PDF."""

    code = "pdf_refused"


@dataclass(frozen=True)
class Limits:
    max_stream: int = DEFAULTS["PDF_MAX_STREAM_BYTES"]
    max_total: int = DEFAULTS["PDF_MAX_EXPANDED_BYTES"]
    memory: int = DEFAULTS["PDF_INSPECT_MEMORY"]
    seconds: int = DEFAULTS["PDF_INSPECT_SECONDS"]

    @classmethod
    def from_config(cls, config) -> Limits:
        def get(name):
            return int(config.get(name) or DEFAULTS[name])
        return cls(get("PDF_MAX_STREAM_BYTES"), get("PDF_MAX_EXPANDED_BYTES"),
                   get("PDF_INSPECT_MEMORY"), get("PDF_INSPECT_SECONDS"))


def current_limits() -> Limits:
    """The app's configured limits, or the defaults outside an app."""
    from flask import current_app, has_app_context
    return Limits.from_config(current_app.config) if has_app_context() else Limits()


def inspect(data: bytes, limits: Limits | None = None) -> dict:
    """Check ``data`` in a limited child process; returns what it measured.

    :raises PdfRefused: the file expands past the caps, needs more memory or time than
        allowed, or cannot be read as a PDF at all
    """
    limits = limits or current_limits()
    command = [sys.executable, "-I", str(CHILD), str(limits.max_stream), str(limits.max_total),
               str(limits.memory), str(limits.seconds)]
    try:
        # Our own script and numbers as a list of arguments: no shell, nothing from the user.
        done = subprocess.run(command, input=data, capture_output=True,  # nosec B603
                              timeout=limits.seconds + 5, check=False)
    except subprocess.TimeoutExpired:
        raise PdfRefused(f"This PDF took longer than {limits.seconds} s to inspect, so it was "
                         "not checked. A report made here takes well under a second.",
                         field="file") from None
    try:
        verdict = json.loads(done.stdout or b"null")
    except ValueError:
        verdict = None
    if done.returncode != 0 or not isinstance(verdict, dict):
        # killed by its limits (SIGXCPU, SIGKILL) or out of memory before it could answer
        raise PdfRefused(f"This PDF needs more than {limits.memory // _MB} MB or "
                         f"{limits.seconds} s to open, so it was not checked. A report made "
                         "here needs far less.", field="file")
    if verdict.get("refused"):
        raise PdfRefused(verdict["refused"], field="file")
    return verdict
