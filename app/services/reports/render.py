"""Turn a report context into PDF bytes with WeasyPrint, safely and fast.

Safety: the HTML comes from an autoescaping Jinja template fed plain data; WeasyPrint gets a
URL fetcher that refuses everything (no local files, no network, not even ``data:``); each
rendering runs in a worker process of a pebble ProcessPool under a time limit: a part that
runs over it has its worker stopped (and replaced), so a runaway layout cannot hold a web
request or a job forever.

Speed: a small report is rendered whole in one worker. A bigger one is cut into parts — the
front (cover and summary), runs of listing sheets, the method — rendered once each, in
parallel, by a pool of worker processes, and merged with pikepdf. Every part is tagged
(accessibility); the merge joins their structure trees into one (tagging.py).
Each part carries its own running headers; "Page n of m" is stamped on the merged file
(furniture.py), so no part waits for another.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import warnings
from concurrent.futures import FIRST_EXCEPTION, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pikepdf
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from pebble import ProcessExpired, ProcessPool

from . import furniture, sections, tagging

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
#: Reports up to this many listing sheets are rendered whole, in one worker.
WHOLE_MAX_SHEETS = 8
#: At most this many sheets per part (bounds a worker's memory); at least MIN_PART_SHEETS.
PART_SHEETS = 64
MIN_PART_SHEETS = 4
PDF_VARIANT = "pdf/a-3b"
#: Bump when the report's layout or content changes: stored reports of the same data made
#: by another layout are then made again rather than served. 2: tagged at every size, charts
#: with alternative text; each finding's part under its code, labels, preparer, rates.
LAYOUT_VERSION = 2


def renderer() -> str:
    from importlib.metadata import version
    return f"tripledger-report/{LAYOUT_VERSION} weasyprint/{version('weasyprint')}"
_SAFE_CSS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:-_()#")

Progress = Callable[[float, str], None]


class RenderTimeout(Exception):
    """A part took longer than the time limit."""


class RenderFailed(Exception):
    """WeasyPrint or a worker process failed."""


def css_string(value) -> Markup:
    """A CSS string literal that no user text can break out of (everything else hex-escaped)."""
    escaped = "".join(ch if ch in _SAFE_CSS else f"\\{ord(ch):x} " for ch in str(value))
    return Markup(f'"{escaped}"')  # nosec B704 - all but _SAFE_CSS is hex-escaped above


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters["css_string"] = css_string


def render_html(ctx: dict, *, parts: tuple[str, ...] = ("front", "method"),
                sheets: list[dict] | None = None) -> str:
    """The print template for the whole report, or for one part of it."""
    template = _env.get_template("reports/disclosure_pdf.html")
    if sheets is None:
        sheets = [sheet for section in ctx["sections"] for sheet in section["sheets"]]
    return template.render(ctx=ctx, parts=parts, sheets=sheets)


# --- worker side ---------------------------------------------------------------------------

class _LockedFetcher:
    """Stands in for WeasyPrint's URLFetcher and fetches nothing, ever."""

    _fail_on_errors = False

    def __init__(self):
        self.refused: list[str] = []

    def __call__(self, url):
        return self.fetch(url)

    def fetch(self, url, headers=None):
        self.refused.append(str(url)[:200])
        raise ValueError(f"refused {str(url)[:80]!r}: reports load nothing from files or the "
                         "network")


def locked_fetcher():
    """A WeasyPrint URL fetcher that refuses every URL (a URLFetcher subclass)."""
    from weasyprint import URLFetcher

    class LockedFetcher(_LockedFetcher, URLFetcher):
        def __init__(self):
            URLFetcher.__init__(self)
            _LockedFetcher.__init__(self)

    return LockedFetcher()


def _init_worker(nice: int) -> None:
    if nice:
        os.nice(nice)
    # WeasyPrint 70 leaves the sRGB profile file open when making PDF/A; harmless in a worker.
    warnings.filterwarnings("ignore", category=ResourceWarning)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    import weasyprint  # noqa: F401 — load once per worker, not per part


def render_part(html: str, options: dict, tag_prefix: str = "") -> tuple[bytes, int, list[str]]:
    """Worker: HTML → (PDF bytes, page count, refused URLs). A tagged part's structure is
    tidied here, in parallel with the other parts (tagging.tidy)."""
    from weasyprint import HTML
    fetcher = locked_fetcher()
    document = HTML(string=html, url_fetcher=fetcher).render(**options)
    pdf = document.write_pdf(**options)
    if options.get("pdf_tags"):
        pdf = tagging.tidy(pdf, tag_prefix)
    return pdf, len(document.pages), fetcher.refused


# --- pool ----------------------------------------------------------------------------------

_pools: dict[tuple[int, int], ProcessPool] = {}
_pool_lock = threading.Lock()
#: Threads starting a pool for ``warm`` (a report asked for meanwhile waits for its pool).
_starting: dict[tuple[int, int], threading.Thread] = {}


def _pool(workers: int, nice: int) -> ProcessPool:
    """A warm pool per (size, niceness), shared by the requests and jobs of this process."""
    starting = _starting.get((workers, nice))
    if starting is not None and starting is not threading.current_thread():
        starting.join()
    with _pool_lock:
        pool = _pools.get((workers, nice))
        if pool is None or not pool.active:
            # forkserver: workers start as forks of a clean process that has loaded this
            # module and WeasyPrint (once, for every worker), not of a threaded web server.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([__name__, "weasyprint"])
            pool = ProcessPool(max_workers=workers, max_tasks=200, initializer=_init_worker,
                               initargs=(nice,), context=ctx)
            _pools[(workers, nice)] = pool
        return pool


def _ready() -> bool:
    return True


def warm(workers: int, nice: int = 0) -> None:
    """Start the pool's workers in the background and return at once, so the first report
    is not also the one that waits for WeasyPrint to load. Called when a reports page is
    opened, and by the command line before it reads the data."""
    key = (workers, nice)
    with _pool_lock:
        pool = _pools.get(key)
        running = _starting.get(key)
        if (pool is not None and pool.active) or (running is not None and running.is_alive()):
            return
        thread = threading.Thread(target=_start, args=key, name="render-pool-start",
                                  daemon=True)
        _starting[key] = thread
    thread.start()


def _start(workers: int, nice: int) -> None:
    pool = _pool(workers, nice)
    for _ in range(workers):
        pool.schedule(_ready)


def _discard_pool(workers: int, nice: int) -> None:
    """Drop a broken or stuck pool, stopping its workers (a stuck one would keep its CPU)."""
    with _pool_lock:
        pool = _pools.pop((workers, nice), None)
    if pool is not None:
        pool.stop()


def shutdown_pools() -> None:
    """Stop every worker process (tests, and the job consumer on exit)."""
    with _pool_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.stop()
        pool.join()


# --- orchestration -------------------------------------------------------------------------

@dataclass
class Rendered:
    pdf: bytes
    pages: int
    #: Section title → first page (1-based), for the outline of a merged file.
    starts: dict[str, int] = field(default_factory=dict)
    parts: int = 1
    #: True when the file came from one WeasyPrint run (its bookmarks are WeasyPrint's).
    whole: bool = True
    #: Seconds per step ("parts", "merge", "numbers"), for the benchmark.
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Part:
    name: str
    html: str
    options: dict
    #: Prefixed to the part's structure element ids, which must be unique once merged.
    tag_prefix: str = ""


#: Every part of the report is tagged (accessibility). Only the first part's catalogue is
#: kept, so only it needs the PDF/A identification, output intent and metadata.
_TAGGED = {"pdf_tags": True}
_FIRST = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}


def render_pdf(ctx: dict, *, workers: int = 2, time_limit: int = 300, nice: int = 0,
               progress: Progress | None = None) -> Rendered:
    """Render the report; PDF/A-3b identification and metadata come from the first part.

    :raises RenderTimeout: a part ran over ``time_limit`` seconds
    :raises RenderFailed: WeasyPrint or a worker failed, or the parts could not be joined
    """
    progress = progress or (lambda fraction, stage: None)
    sheets = [sheet for section in ctx["sections"] for sheet in section["sheets"]]
    whole = len(sheets) <= WHOLE_MAX_SHEETS
    if whole:
        parts = [_Part("whole", render_html(ctx), _FIRST)]
    else:
        # As many runs as keep every worker busy to the end (a multiple of the workers),
        # none longer than PART_SHEETS (a worker's memory) or shorter than MIN_PART_SHEETS.
        workers = max(workers, 1)
        runs = workers * -(-len(sheets) // (workers * PART_SHEETS))
        size = max(MIN_PART_SHEETS, -(-len(sheets) // runs))
        # Each part is tagged (a merged report is as accessible as a whole one); the
        # merge joins their structure trees (tagging.merge).
        parts = [_Part("front", render_html(ctx, parts=("front",), sheets=[]), _FIRST)]
        parts += [_Part(f"sheets-{n}", render_html(ctx, parts=(), sheets=sheets[i:i + size]),
                        _TAGGED, f"s{n}-") for n, i in enumerate(range(0, len(sheets), size))]
        parts.append(_Part("method", render_html(ctx, parts=("method",), sheets=[]), _TAGGED,
                           "m-"))
    template = _page_number_template()
    if template is None:
        parts.append(_Part("page-numbers", furniture.TEMPLATE_HTML, {"pdf_variant": PDF_VARIANT}))

    def tick(done, count):
        progress(0.05 + 0.85 * done / count, f"Rendered part {done} of {count}")

    progress(0.02, f"Rendering {len(parts)} part(s)")
    clock = time.perf_counter()
    results = _run(parts, workers, nice, time_limit, tick)
    if template is None:
        template = results.pop()[0]
        _TEMPLATE.append(template)
    progress(0.91, "Merging the parts and numbering the pages")
    seconds = {"parts": time.perf_counter() - clock}
    clock = time.perf_counter()
    counts = [pages for _, pages, _ in results]
    # A whole report goes through the merge too (of one part): the same checks, the same
    # catalogue entries and id tree, whatever the size.
    try:
        merged = tagging.merge([pdf for pdf, _, _ in results])
    except (ValueError, pikepdf.PdfError) as exc:
        raise RenderFailed(f"the rendered parts could not be joined ({exc})") from exc
    seconds["merge"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pdf = furniture.stamp(merged, template)
    seconds["numbers"] = time.perf_counter() - clock
    starts = {}
    if not whole:
        # The front part is the cover (one page) and the summary; the method comes last.
        starts = {sections.COVER.title: 1, sections.SUMMARY.title: 2}
        page = counts[0] + 1
        for section in ctx["sections"]:
            starts[section["title"]] = page
            page += len(section["sheets"])
        starts[sections.METHOD.title] = sum(counts) - counts[-1] + 1
    return Rendered(pdf, sum(counts), starts, len(parts), whole=whole, seconds=seconds)


#: The rendered "Page 0123456789 of" whose font numbers the pages (made once per process).
_TEMPLATE: list[bytes] = []


def _page_number_template() -> bytes | None:
    return _TEMPLATE[0] if _TEMPLATE else None


def _run(parts: list[_Part], workers: int, nice: int, time_limit: int,
         tick: Callable[[int, int], None]) -> list[tuple[bytes, int, list[str]]]:
    pool = _pool(workers, nice)
    # pebble times each part from the moment a worker takes it, and stops that worker.
    futures = [pool.schedule(render_part, args=(p.html, p.options, p.tag_prefix),
                             timeout=time_limit) for p in parts]
    pending = set(futures)
    done_count = 0
    # A backstop for the whole report, should the pool itself stop answering.
    deadline = time_limit * (len(parts) / max(workers, 1) + 1) + 30
    try:
        while pending:
            done, pending = wait(pending, timeout=deadline, return_when=FIRST_EXCEPTION)
            if not done:
                _discard_pool(workers, nice)
                raise RenderTimeout(f"rendering took longer than {int(deadline)} s")
            for future in done:
                exc = future.exception()
                if isinstance(exc, TimeoutError):
                    raise RenderTimeout(f"rendering took longer than {time_limit} s") from exc
                if isinstance(exc, ProcessExpired):
                    raise RenderFailed("a rendering worker stopped unexpectedly (out of "
                                       "memory?)") from exc
                if isinstance(exc, BrokenProcessPool):
                    _discard_pool(workers, nice)
                    raise RenderFailed("the rendering workers stopped unexpectedly") from exc
                if exc is not None:
                    raise RenderFailed(f"{type(exc).__name__}: {exc}") from exc
                done_count += 1
                tick(done_count, len(parts))
    finally:
        # After a failure the other parts are of no use: cancelling a running one stops
        # its worker too.
        for future in pending:
            future.cancel()
    results = [f.result() for f in futures]
    for name, (_, _, refused) in zip((p.name for p in parts), results):
        if refused:
            logger.warning("report part %s referred to %d URL(s); all refused", name,
                           len(refused))
    return results
