"""A hostile PDF upload: 1 MB on the wire, 1 GB once its attachment is inflated.

The verify pages used to read every attachment whole: 2.2 GB for this file, and a 3 MB one
killed the worker. Now the file is measured in a child process with a memory limit and is
refused with a 422 that says why, and the peak memory of the process (and of its child) stays
small. Memory is measured in a fresh Python process, so nothing else this test session did
counts (its own peak is read from /proc, which starts at its exec); that process is capped at
1.5 GB itself, so the old code fails the test instead of taking the machine down.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pikepdf
import pytest

from app.models import Role
from app.services.reports import pdf_guard
from app.services.reports.verify import check_file

from .conftest import csrf_token, log_in

ROOT = Path(__file__).resolve().parent.parent
GB = 1024 ** 3


def _deflated_zeros(size: int) -> bytes:
    """``size`` zero bytes, deflated a megabyte at a time (never held inflated)."""
    packer, block, out = zlib.compressobj(9), bytes(1024 * 1024), []
    for _ in range(size // len(block)):
        out.append(packer.compress(block))
    out.append(packer.flush())
    return b"".join(out)


def _with_attachment(name: str, deflated: bytes, inflated_size: int) -> bytes:
    """A one-page PDF carrying ``deflated`` as the embedded file ``name``, as the report's
    own attachments are embedded (pdfa._embed)."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, deflated)
    stream.Filter = pikepdf.Name.FlateDecode
    stream.Type = pikepdf.Name.EmbeddedFile
    stream.Params = pikepdf.Dictionary(Size=inflated_size)
    spec = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Filespec, F=pikepdf.String(name), UF=pikepdf.String(name),
        EF=pikepdf.Dictionary(F=stream, UF=stream)))
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.NameTree.new(pdf).obj)
    pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)[name] = spec
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """~1 MB of PDF whose disclosure.json inflates to 1 GB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.pdf"
    path.write_bytes(_with_attachment("disclosure.json", _deflated_zeros(GB), GB))
    assert path.stat().st_size < 1.5 * 1024 * 1024
    return path


_MEASURE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3 // 2, 3 * 1024 ** 3 // 2))
from app.services.reports.verify import check_file
from app.services.errors import DomainError
data = open(sys.argv[1], "rb").read()
try:
    result = check_file(data, issuers=[])
    outcome = {"refused": None, "embedded": result.embedded}
except DomainError as exc:
    outcome = {"refused": exc.message, "status": exc.status}
# VmHWM: this process's own peak. (ru_maxrss would start from the pytest process that spawned
# it: Linux keeps the high-water mark of the memory a process had before exec.)
status = open("/proc/self/status").read()
outcome["self_kb"] = int(status.split("VmHWM:")[1].split()[0])
outcome["child_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(outcome))
"""


def test_a_pdf_bomb_is_refused_and_memory_stays_bounded(bomb):
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(bomb)], cwd=ROOT,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    outcome = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert outcome["refused"] and "expands to more than 64 MB" in outcome["refused"], outcome
    assert outcome["status"] == 422
    assert outcome["self_kb"] < 250 * 1024, f"the checking process peaked at {outcome}"
    assert outcome["child_kb"] < 250 * 1024, f"the inspecting child peaked at {outcome}"


def _upload(client, page: str, pdf: Path):
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       "file": (io.BytesIO(pdf.read_bytes()), "r.pdf")},
                           content_type="multipart/form-data")
    # The test client spooled the megabyte to a temporary file: close it here.
    response.request.environ["wsgi.input"].close()
    return response


def test_the_volunteers_check_page_refuses_the_bomb_with_a_422(app, client, data, bomb):
    assert log_in(client, "ana@example.org").status_code == 302
    response = _upload(client, "/me/statements/verify", bomb)
    assert response.status_code == 422
    assert "expands to more than 64 MB" in response.get_data(as_text=True)


def test_the_auditors_verify_page_and_the_cli_refuse_the_bomb(app, client, runner, data, bomb,
                                                              login_as):
    login_as(Role.AUDITOR)
    response = _upload(client, f"/deployments/{data['slug']}/reports/verify", bomb)
    assert response.status_code == 422
    assert "expands to more than 64 MB" in response.get_data(as_text=True)
    for offline in ([], ["--offline"]):
        result = runner.invoke(args=["report", "verify", str(bomb), *offline])
        assert result.exit_code != 0 and "expands to more than 64 MB" in result.output


def test_the_caps_are_settings_and_many_small_parts_add_up():
    small = _with_attachment("disclosure.json", _deflated_zeros(8 * 1024 * 1024),
                             8 * 1024 * 1024)
    assert pdf_guard.inspect(small)["expanded"] >= 8 * 1024 * 1024
    with pytest.raises(pdf_guard.PdfRefused, match="more than 4 MB in all"):
        pdf_guard.inspect(small, pdf_guard.Limits(max_stream=16 * 2**20, max_total=4 * 2**20))
    with pytest.raises(pdf_guard.PdfRefused, match="cannot be read as a PDF"):
        check_file(b"%PDF-1.7\n" + b"\x00garbage" * 100, issuers=[])


def test_a_filter_the_child_must_decode_whole_runs_into_its_memory_limit():
    """RunLength is inflated by qpdf itself (128 bytes for every 2): the child's address-space
    limit, not a count, is what stops it."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"\x81\x00" * (2 * 1024 * 1024))  # 256 MB decoded
    stream.Filter = pikepdf.Name.RunLengthDecode
    pdf.Root.Bomb = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    huge = 2**30
    with pytest.raises(pdf_guard.PdfRefused, match="needs more than 200 MB"):
        pdf_guard.inspect(out.getvalue(), pdf_guard.Limits(max_stream=huge, max_total=huge,
                                                           memory=200 * 2**20))
    with pytest.raises(pdf_guard.PdfRefused, match="cannot be read as a PDF"):
        check_file(b"%PDF-1.7\n" + b"\x00garbage" * 100, issuers=[])
