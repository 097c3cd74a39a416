"""The child half of ``pdf_guard``: run as a script (``python -I _pdf_inspect.py``) with the PDF
on standard input. It sets its own memory and CPU limits before it reads a byte, opens the
file with pikepdf and measures every stream's decoded size without holding it; it prints its
verdict as JSON. It imports nothing of the app.
"""
from __future__ import annotations

import io
import json
import resource
import sys
import zlib

import pikepdf

_MB = 1024 * 1024
_IMAGES = ("/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode")


def _inflated_size(raw: bytes, budget: int) -> int:
    """How many bytes deflated ``raw`` inflates to, stopping once past ``budget``."""
    inflater = zlib.decompressobj()
    size, view, step = 0, memoryview(raw), 1 << 16
    try:
        for start in range(0, len(raw), step):
            chunk = view[start:start + step]
            while chunk:
                size += len(inflater.decompress(chunk, _MB))
                if size > budget:
                    return size
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        pass  # damaged data: qpdf stops where deflate does, and so does this count
    return size


def _filters(stream) -> list[str]:
    found = stream.get("/Filter")
    if found is None:
        return []
    items = list(found) if isinstance(found, pikepdf.Array) else [found]
    return [str(item) for item in items]


def _stream_size(stream, budget: int) -> int:
    filters = _filters(stream)
    if not filters:
        return len(stream.read_raw_bytes())
    if filters == ["/FlateDecode"]:
        return _inflated_size(stream.read_raw_bytes(), budget)
    # Images (DCT, JPX, JBIG2, CCITT) are never decoded by the verifier: count them as
    # stored. Other chains are decoded here, under this process's memory limit.
    if filters[-1] in _IMAGES:
        return len(stream.read_raw_bytes())
    return len(stream.read_bytes())


def _measure(data: bytes, max_stream: int, max_total: int) -> dict:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return {"refused": "This PDF is encrypted with a password, so it cannot be checked. "
                           "A report made here is not encrypted."}
    except pikepdf.PdfError as exc:
        return {"refused": f"This file cannot be read as a PDF ({str(exc)[:200]}): it is "
                           "damaged or not a PDF, so nothing in it can be checked."}
    total = streams = 0
    with pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            streams += 1
            size = _stream_size(obj, max_stream)
            total += size
            if size > max_stream:
                return {"refused": f"This PDF holds a compressed part that expands to more "
                                   f"than {max_stream // _MB} MB (object {obj.objgen[0]}), so "
                                   "it was not opened. A report made here has none that big; "
                                   "this file was built to exhaust the server."}
            if total > max_total:
                return {"refused": f"This PDF's compressed parts expand to more than "
                                   f"{max_total // _MB} MB in all, so it was not opened. A "
                                   "report made here is far smaller."}
    return {"streams": streams, "expanded": total}


def main(argv: list[str]) -> int:
    max_stream, max_total, memory, seconds = (int(value) for value in argv)
    # Limits first, before a byte of the file is read.
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    data = sys.stdin.buffer.read()
    try:
        verdict = _measure(data, max_stream, max_total)
    except MemoryError:
        return 3
    verdict["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(json.dumps(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
