"""The audit chain's head, anchored outside the database: every disclosure report carries the
head it was made at (signed with the report), and a signed checkpoint file keeps the latest.
``audit verify --against`` proves the chain still extends them — a deleted tail with the head
"fixed", or an emptied table, fails by name — with real reports, real SQLite/PostgreSQL."""
from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, AuditHead, Role
from app.services import audit_anchors

from .audit_attacks import cut_tail, empty_chain, event_count, run_as_attacker
from .builders import make_deployment


@pytest.fixture
def demo_key(runner):
    result = runner.invoke(args=["keys", "create-demo"])
    assert result.exit_code == 0, result.output


def _report(runner, slug: str, out: Path) -> Path:
    result = runner.invoke(args=["report", "disclosure", slug, "-o", str(out),
                                 "--prepared-by", "Ada Auditor"])
    assert result.exit_code == 0, result.output
    return out


def _changes(app, n=3, prefix="later"):
    with app.app_context():
        for i in range(n):
            make_deployment(slug=f"{prefix}-{i}", spots={})
            db.session.commit()


def _head(app) -> tuple[int, str, str]:
    with app.app_context():
        head = db.session.get(AuditHead, 1)
        key_id = db.session.scalar(select(AuditEvent.key_id).where(AuditEvent.seq == head.seq))
        db.session.remove()
        return head.seq, key_id, head.hash


def _verify(runner, *files: Path):
    args = ["audit", "verify"]
    for path in files:
        args += ["--against", str(path)]
    return runner.invoke(args=args)


def test_a_report_carries_the_head_it_was_made_at_and_the_chain_extends_it(
        app, runner, data, demo_key, tmp_path):
    seq, key_id, digest = _head(app)
    report = _report(runner, data["slug"], tmp_path / "report.pdf")
    with pikepdf.open(report) as pdf:
        recorded = json.loads(str(pdf.docinfo["/TripLedgerAuditHead"]))
    assert recorded == {"seq": seq, "key_id": key_id, "hash": digest} and seq > 0
    _changes(app)  # the chain grows past the report: it still extends it
    result = _verify(runner, report)
    assert result.exit_code == 0, result.output
    assert f"Extends the report report.pdf (signed): event {seq}." in result.output

    # An edited head makes the file's signature fail: it cannot vouch for anything.
    with pikepdf.open(report) as pdf:
        pdf.docinfo["/TripLedgerAuditHead"] = json.dumps({**recorded, "seq": 1})
        pdf.save(tmp_path / "edited.pdf")
    edited = _verify(runner, tmp_path / "edited.pdf")
    assert edited.exit_code == 1
    assert "edited.pdf cannot vouch for the chain: its signature is invalid" in edited.output


def test_a_deleted_tail_with_the_head_fixed_fails_against_a_report_made_before(
        app, runner, data, demo_key, tmp_path):
    seq, _key_id, _digest = _head(app)
    report = _report(runner, data["slug"], tmp_path / "report.pdf")
    _changes(app)
    keep = seq - 2
    cut_tail(app, keep)
    # The database alone cannot tell: the head row was moved back to match.
    assert _verify(runner).exit_code == 0
    result = _verify(runner, report)
    assert result.exit_code == 1
    assert f"BROKEN at event {keep + 1}" in result.output
    assert (f"the chain ends at event {keep}, but the report report.pdf (signed) saw it at "
            f"event {seq}: events were deleted from the end") in result.output


def test_an_emptied_table_fails_against_a_report_and_this_servers_checkpoint(
        app, runner, data, demo_key, tmp_path):
    report = _report(runner, data["slug"], tmp_path / "report.pdf")
    _changes(app, 1)
    made = runner.invoke(args=["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    checkpoint_seq = _head(app)[0]

    run_as_attacker(app, "DELETE FROM audit_events")  # the table alone: the head row objects
    headless = _verify(runner)
    assert headless.exit_code == 1 and "BROKEN at event 1" in headless.output

    empty_chain(app)  # and the head reset too, as on a new install
    assert event_count(app) == 0
    plain = _verify(runner)
    assert plain.exit_code == 1
    assert "BROKEN at event 1: the chain is empty, but this server's checkpoint" in plain.output
    assert f"saw it at event {checkpoint_seq}" in plain.output
    against = _verify(runner, report)
    assert against.exit_code == 1
    assert "the chain is empty" in against.output


def test_a_checkpoint_is_signed_and_an_altered_one_is_refused(app, runner, demo_key, tmp_path):
    _changes(app)
    out = tmp_path / "offsite.json"
    made = runner.invoke(args=["audit", "checkpoint", "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert "signed by" in made.output and "TripLedger demo report signing" in made.output
    seq, key_id, digest = _head(app)
    saved = json.loads(out.read_text())
    assert (saved["seq"], saved["key_id"], saved["hash"]) == (seq, key_id, digest)
    assert saved["signature"] and saved["signer"]
    own = Path(app.instance_path) / "audit" / "checkpoint.json"
    assert json.loads(own.read_text()) == saved

    ok = _verify(runner, out)
    assert ok.exit_code == 0, ok.output
    assert "Extends the checkpoint offsite.json" in ok.output
    assert "Extends this server's checkpoint" in ok.output

    out.write_text(json.dumps({**saved, "seq": seq - 1}))
    altered = _verify(runner, out)
    assert altered.exit_code == 1
    assert "offsite.json was altered: its signature does not hold" in altered.output


def test_a_new_checkpoint_is_refused_when_the_chain_no_longer_extends_the_last(
        app, runner, tmp_path):
    """A periodic job must not launder a cut: it verifies against the last checkpoint first."""
    _changes(app, 4)
    assert runner.invoke(args=["jobs", "run"]).exit_code == 0
    own = Path(app.instance_path) / "audit" / "checkpoint.json"
    before = own.read_text()
    assert json.loads(before)["signature"] is None  # no signing key here: unsigned, still kept
    cut_tail(app, 2)
    again = runner.invoke(args=["audit", "checkpoint"])
    assert again.exit_code == 1
    assert "BROKEN at event 3" in again.output and "No checkpoint written" in again.output
    job = runner.invoke(args=["jobs", "run"])
    assert job.exit_code == 1 and "No checkpoint written" in job.output
    assert own.read_text() == before


@pytest.mark.parametrize(("content", "message"), [
    (b"just some notes", "neither a disclosure report (PDF) nor an audit checkpoint"),
    (b'{"seq": 3}', "is not an audit checkpoint"),
    (b"{not json", "is not valid JSON"),
])
def test_a_file_that_is_no_anchor_is_refused_by_name(app, runner, tmp_path, content, message):
    path = tmp_path / "anchor.dat"
    path.write_bytes(content)
    result = _verify(runner, path)
    assert result.exit_code == 1 and message in result.output
    missing = _verify(runner, tmp_path / "nowhere.pdf")
    assert missing.exit_code == 1 and "nowhere.pdf cannot be read" in missing.output


def test_anchor_reading_is_the_services_job(app, tmp_path):
    """The service gives the same answer the command prints (one entry point)."""
    _changes(app, 2)
    with app.app_context():
        made = audit_anchors.write_checkpoint(db.session, tmp_path / "c.json")
        assert made.anchor.seq == event_count(app)
        assert audit_anchors.read(tmp_path / "c.json").seq == made.anchor.seq
        assert audit_anchors.check(db.session).ok
        db.session.remove()


def test_the_auditors_page_checks_the_chain_against_the_checkpoint(app, client, login_as,
                                                                  runner):
    _changes(app, 3)
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    login_as(Role.AUDITOR)
    assert "The audit chain is intact" in client.get("/audit/").get_data(as_text=True)
    empty_chain(app)
    page = " ".join(client.get("/audit/").get_data(as_text=True).split())
    assert "The audit chain is broken at event 1: the chain is empty, but this server&#39;s " \
           "checkpoint" in page
    own = Path(app.instance_path) / "audit" / "checkpoint.json"
    own.write_text("{broken")
    page = " ".join(client.get("/audit/").get_data(as_text=True).split())
    assert "The audit chain cannot be checked: this server&#39;s checkpoint is not valid JSON" \
        in page
