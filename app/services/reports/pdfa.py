"""Make the rendered report an archival record (PDF/A-3b) that stands on its own.

WeasyPrint writes the PDF/A-3b identification, the sRGB output intent and the metadata (title,
author, subject, keywords, dates, and TripLedger's own keys) from the print template. This
module adds what PDF/A-3 allows and an auditor needs years later: the itemised ledger as CSV
and the whole disclosure as JSON, embedded as associated files (``/AF``, ``AFRelationship
/Data``), and — for a report merged from parts — an outline to its sections.
"""
from __future__ import annotations

import hashlib
import io
import json
import zlib
from datetime import datetime

import pikepdf

from ..csv_cells import SafeWriter

LEDGER_NAME = "disclosure-ledger.csv"
JSON_NAME = "disclosure.json"
PARTS_NAME = "disclosure-parts.csv"
#: One row per finding on a cost line: the part of the line its code covers. Summed by
#: code, these give the disclosure's ``totals_by_code`` to the cent.
PARTS_COLUMNS = ["cost_id", "finding_id", "incurred_on", "volunteer_email", "state",
                 "payer_name", "payer_kind", "line_amount_usd", "code", "code_label",
                 "rule_id", "priority", "part_amount_usd", "review"]
LEDGER_COLUMNS = ["cost_id", "incurred_on", "volunteer_email", "volunteer_name", "citizenship",
                  "state", "category", "description", "amount", "currency", "amount_usd",
                  "payer_name", "payer_kind", "arranged_by_name", "codes", "rule_ids",
                  "severity", "line_ref", "reimburses_cost_id", "repaid_usd"]


class _Deflated:
    """Collects text compressed as it is written: a 50,000-line disclosure's JSON is never
    held uncompressed in memory (nor is its CSV)."""

    _BLOCK = 1 << 20

    def __init__(self):
        self._zip = zlib.compressobj(6)
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._chunks: list[bytes] = []
        self._pending: list[str] = []
        self._pending_size = 0
        self.size = 0

    def write(self, text: str) -> None:
        self._pending.append(text)
        self._pending_size += len(text)
        if self._pending_size >= self._BLOCK:
            self._flush()

    def _flush(self) -> None:
        data = "".join(self._pending).encode("utf-8")
        self._pending, self._pending_size = [], 0
        self.size += len(data)
        self._md5.update(data)
        compressed = self._zip.compress(data)
        if compressed:
            self._chunks.append(compressed)

    def finish(self) -> tuple[bytes, int, bytes]:
        """(deflated bytes, plain size, MD5 of the plain bytes)."""
        self._flush()
        self._chunks.append(self._zip.flush())
        return b"".join(self._chunks), self.size, self._md5.digest()


def _ledger_into(disclosure: dict, sink) -> None:
    writer = SafeWriter(sink)
    writer.writerow(LEDGER_COLUMNS)
    for item in disclosure.get("items") or []:
        writer.writerow([item.get(column) for column in LEDGER_COLUMNS])


def _parts_into(disclosure: dict, sink) -> None:
    from .labels import CODE_LABELS
    writer = SafeWriter(sink)
    writer.writerow(PARTS_COLUMNS)
    for item in disclosure.get("items") or []:
        line = [item.get("cost_id"), None, item.get("incurred_on"), item.get("volunteer_email"),
                item.get("state"), item.get("payer_name"), item.get("payer_kind"),
                item.get("amount_usd")]
        for finding in item.get("findings") or []:
            review = finding.get("review") or {}
            line[1] = finding.get("id")
            writer.writerow((
                *line, finding.get("code"), CODE_LABELS.get(finding.get("code"), ""),
                finding.get("rule_id"), finding.get("priority"), finding.get("amount_usd"),
                review.get("action")))


def _json_into(disclosure: dict, sink) -> None:
    """``json.dumps(disclosure)``, written a line at a time (the C encoder per element)."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    sink.write("{")
    for n, (key, value) in enumerate(disclosure.items()):
        sink.write(("," if n else "") + encode(key) + ":")
        if isinstance(value, list):
            sink.write("[")
            for i, element in enumerate(value):
                sink.write(("," if i else "") + encode(element))
            sink.write("]")
        else:
            sink.write(encode(value))
    sink.write("}")


def parts_csv(disclosure: dict) -> bytes:
    out = io.StringIO()
    _parts_into(disclosure, out)
    return out.getvalue().encode("utf-8")


def ledger_csv(disclosure: dict) -> bytes:
    """One row per cost line, with its codes and rules (UTF-8, header row)."""
    out = io.StringIO()
    _ledger_into(disclosure, out)
    return out.getvalue().encode("utf-8")


def _pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def _embed(pdf: pikepdf.Pdf, name: str, mime: str, description: str, writer,
           disclosure: dict, stamp: str) -> pikepdf.Object:
    """An associated file (PDF/A-3: MIME subtype, size, dates, checksum, relationship)."""
    sink = _Deflated()
    writer(disclosure, sink)
    data, size, md5 = sink.finish()
    stream = pikepdf.Stream(pdf, data)
    stream.Filter = pikepdf.Name.FlateDecode  # the bytes are already deflated
    stream.Type = pikepdf.Name.EmbeddedFile
    stream.Subtype = pikepdf.Name("/" + mime)
    stream.Params = pikepdf.Dictionary(Size=size, CreationDate=stamp, ModDate=stamp,
                                       CheckSum=pikepdf.String(md5))
    spec = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Filespec, F=pikepdf.String(name), UF=pikepdf.String(name),
        Desc=pikepdf.String(description), AFRelationship=pikepdf.Name.Data,
        EF=pikepdf.Dictionary(F=stream, UF=stream)))
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    if "/EmbeddedFiles" not in pdf.Root.Names:
        pdf.Root.Names.EmbeddedFiles = pikepdf.NameTree.new(pdf).obj
    pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)[name] = spec
    return spec


def finish(pdf_bytes: bytes, *, disclosure: dict, made_at: datetime,
           outline: dict[str, int] | None = None, audit_head: str | None = None) -> bytes:
    """Embed the ledger CSV and the disclosure JSON; add an outline when given one.

    ``audit_head``: the audit chain's head the report was made at
    (``audit_anchors.report_value``), kept in the document information: once the report is
    out, it anchors the chain outside the database (``audit verify --against``).
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        stamp = _pdf_date(made_at)
        associated = pikepdf.Array([
            _embed(pdf, LEDGER_NAME, "text/csv", "The itemised ledger: one row per cost line, "
                   "with its codes and rules.", _ledger_into, disclosure, stamp),
            _embed(pdf, PARTS_NAME, "text/csv", "One row per finding on a cost line, with the "
                   "part of the line its code covers: summed by code, the totals by code.",
                   _parts_into, disclosure, stamp),
            _embed(pdf, JSON_NAME, "application/json", "The whole disclosure (lines, roles, "
                   "findings, reviews, totals, rule set), as served by the API.", _json_into,
                   disclosure, stamp),
        ])
        pdf.Root.AF = associated
        # Keys of our own in the document information: what a reader needs to look the
        # report up again (PDF/A only requires the standard keys to match the XMP).
        fingerprint = str(disclosure.get("fingerprint") or "")
        scope = disclosure.get("scope") or {}
        pdf.docinfo["/TripLedgerFingerprint"] = fingerprint
        pdf.docinfo["/TripLedgerDeployment"] = str(
            (disclosure.get("deployment") or {}).get("slug") or "")
        pdf.docinfo["/TripLedgerScope"] = f"{scope.get('kind') or 'deployment'}" + (
            f":{scope['value']}" if scope.get("value") not in (None, "") else "")
        pdf.docinfo["/TripLedgerRuleSet"] = str(
            (disclosure.get("rule_set") or {}).get("version") or "")
        if audit_head:
            pdf.docinfo["/TripLedgerAuditHead"] = audit_head
        if outline:
            with pdf.open_outline() as tree:
                tree.root.clear()
                for title, page in outline.items():
                    tree.root.append(pikepdf.OutlineItem(title, page - 1))
        out = io.BytesIO()
        # Every stream is compressed already (WeasyPrint's, and the attachments above):
        # copy them as they are instead of decoding and compressing them again.
        pdf.save(out, compress_streams=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return out.getvalue()


def attachments(pdf_bytes: bytes) -> dict[str, bytes]:
    """The embedded files of a PDF, by name (empty for a file that has none)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


def pdfa_identification(pdf_bytes: bytes) -> tuple[str | None, str | None]:
    """(part, conformance) from the XMP metadata, e.g. ("3", "B")."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        meta = pdf.open_metadata()
        return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
