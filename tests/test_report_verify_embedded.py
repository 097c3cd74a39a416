"""The embedded data is checked, not believed: the fingerprint is recomputed from the embedded
disclosure.json, and the embedded ledger CSV must be the one that JSON gives. An edited
attachment is caught in an unsigned report and in a signed one, and told apart from "the data
on the server changed since"."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest

from app.extensions import db
from app.models import Cost, Report
from app.services.reports import pdfa, verify

EDITED = "Embedded data: edited — the embedded data was edited: it no longer matches the " \
         "fingerprint it states"


@pytest.fixture(params=["unsigned", "signed"])
def made(request, app, runner, data, tmp_path):
    if request.param == "signed":
        assert runner.invoke(args=["keys", "create-demo"]).exit_code == 0
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["report", "disclosure", data["slug"], "-o", str(out),
                                 "--prepared-by", "Ada Auditor"])
    assert result.exit_code == 0, result.output
    return request.param, out


def _replace_attachment(pdf: bytes, name: str, content: bytes) -> bytes:
    """The same PDF with one attachment's bytes replaced (what an editor would do)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.attachments[name].obj.EF.F.write(content)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_an_intact_report_says_its_embedded_data_is_intact(runner, made):
    _, out = made
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert ("Embedded data: intact — the embedded disclosure.json gives the fingerprint it "
            "states") in _flat(result.output)
    assert "the CSV files agree with it" in _flat(result.output)


def test_an_edited_amount_is_caught_though_the_stated_fingerprint_still_matches(
        runner, made, tmp_path):
    kind, out = made
    pdf = out.read_bytes()
    disclosure = json.loads(pdfa.attachments(pdf)[pdfa.JSON_NAME])
    disclosure["items"][0]["amount_usd"] = "1.00"  # the fingerprint it states is left alone
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(_replace_attachment(pdf, pdfa.JSON_NAME,
                                           json.dumps(disclosure).encode()))
    result = runner.invoke(args=["report", "verify", str(edited)])
    assert result.exit_code == 1, result.output
    flat = _flat(result.output)
    assert "NOT GENUINE" in flat and EDITED in flat
    # Not mistaken for a change on the server: the stated fingerprint is not compared.
    assert "Data since: unknown — the embedded data was edited" in flat
    if kind == "signed":
        assert "Signature: invalid" in flat
    offline = runner.invoke(args=["report", "verify", str(edited), "--offline"])
    assert offline.exit_code == 1
    assert _flat(offline.output).startswith("NOT GENUINE: the embedded data was edited")


def test_an_edited_ledger_csv_disagrees_with_the_json(runner, made, tmp_path):
    _, out = made
    pdf = out.read_bytes()
    csv = pdfa.attachments(pdf)[pdfa.LEDGER_NAME].replace(b"Campaign hotel", b"Campaign motel")
    assert csv != pdfa.attachments(pdf)[pdfa.LEDGER_NAME]
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(_replace_attachment(pdf, pdfa.LEDGER_NAME, csv))
    result = runner.invoke(args=["report", "verify", str(edited)])
    assert result.exit_code == 1
    assert ("Embedded data: edited — the embedded disclosure-ledger.csv does not agree with "
            "the embedded disclosure.json") in _flat(result.output)


def test_an_edited_parts_csv_disagrees_with_the_json(runner, made, tmp_path):
    """A finding's part moved between codes in disclosure-parts.csv is caught too."""
    _, out = made
    pdf = out.read_bytes()
    parts = pdfa.attachments(pdf)[pdfa.PARTS_NAME]
    edited_parts = parts.replace(b",VOL_OK,", b",CAMPAIGN_EXP,", 1)
    assert edited_parts != parts
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(_replace_attachment(pdf, pdfa.PARTS_NAME, edited_parts))
    result = runner.invoke(args=["report", "verify", str(edited)])
    assert result.exit_code == 1
    assert ("Embedded data: edited — the embedded disclosure-parts.csv does not agree with "
            "the embedded disclosure.json") in _flat(result.output)


def test_data_changed_on_the_server_is_not_called_an_edit(app, runner, made, data):
    _, out = made
    with app.app_context():
        db.session.get(Cost, data["bo_cost"]).description = "Campaign hotel (corrected)"
        db.session.commit()
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 2
    assert "Embedded data: intact" in result.output
    assert "Data since: changed — data changed since" in result.output


def test_a_file_that_only_states_a_fingerprint_is_not_believed(made):
    _, out = made
    pdf = out.read_bytes()
    disclosure = json.loads(pdfa.attachments(pdf)[pdfa.JSON_NAME])
    disclosure["fingerprint"] = "0" * 64
    forged = _replace_attachment(pdf, pdfa.JSON_NAME, json.dumps(disclosure).encode())
    result = verify.check_file(forged, issuers=[])
    assert result.embedded == "edited" and "states 0000000000000000" in result.embedded_detail
    assert not result.holds


def test_the_recomputed_fingerprint_is_the_engines(app, made):
    """The attachment of an honest report gives back exactly the fingerprint on record."""
    _, out = made
    result = verify.check_file(Path(out).read_bytes(), issuers=[])
    assert result.embedded == "intact"
    with app.app_context():
        [report] = db.session.scalars(db.select(Report)).all()
        assert result.claimed["fingerprint"] == report.fingerprint
    assert f"({report.fingerprint[:16]}…)" in result.embedded_detail
