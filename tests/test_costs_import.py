"""costs.csv in: all or nothing, every bad row listed, by CLI (with --dry-run) and browser."""
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Cost, CostOrigin, Payer, PayerKind, Role
from app.models.ledger import ImportUpload
from app.services import costs_import
from app.services.csv_import import FileRejected, ImportRejected

from .builders import add_rate, d, small_world
from .conftest import count_rows, csrf_token

HEADER = ",".join(costs_import.COLUMNS)


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _good(ids) -> bytes:
    a, b, _ = ids["emails"]
    return _csv(
        f"{a},TRAVEL,Return flight,640.00,GBP,2024-10-18,Self,,,Northbridge Labour Party,"
        "Atlantic Air,,",
        f"{b},STIPEND,Daily stipend,1100.00,GBP,2024-11-01,Northbridge Labour Party,,,,{b},no,",
        f"{a},MEALS,Dinners,420.00,USD,2024-10-25,Dana Whitfield,US_INDIVIDUAL,US,,Dana Whitfield,"
        "yes,",
        f"{b},OTHER,Phone card,3000,JPY,2024-10-21,Dana Whitfield,,,,Shop,,20.10")


@pytest.fixture
def ids(app):
    with app.app_context():
        world = small_world("imp")
        add_rate("GBP", d(1), "1.25")
        add_rate("GBP", d(30), "1.30")
        db.session.commit()
        return world


def _deployment():
    from app.services import deployments
    return deployments.get_deployment(db.session, "imp")


def test_a_good_file_adds_every_line_and_its_new_payers(app, ids):
    with app.app_context():
        result = costs_import.import_costs(db.session, _deployment(), _good(ids), actor=None,
                                           filename="costs.csv")
        db.session.commit()
        assert result.written == 4
        assert [p["name"] for p in result.new_payers] == ["Dana Whitfield"]
        lines = db.session.scalars(select(Cost).order_by(Cost.id)).all()
        assert [(c.amount, c.currency, c.amount_usd) for c in lines] == [
            (Decimal("640.00"), "GBP", Decimal("800.00")),     # rate of 2024-10-01
            (Decimal("1100.00"), "GBP", Decimal("1430.00")),   # rate of 2024-10-30
            (Decimal("420.00"), "USD", Decimal("420.00")),
            (Decimal("3000.00"), "JPY", Decimal("20.10"))]     # USD given by hand
        assert all(c.origin is CostOrigin.IMPORT for c in lines)
        assert lines[0].arranged_by_id == ids["party_id"] and lines[0].payer_id == ids["self_id"]
        assert lines[2].in_residence is True and lines[1].in_residence is False
        dana = db.session.scalar(select(Payer).where(Payer.name == "Dana Whitfield"))
        assert (dana.kind, dana.country) == (PayerKind.US_INDIVIDUAL, "US")
        assert lines[3].payer_id == dana.id
        imported = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "costs.imported"))
        assert imported.data["lines"] == 4 and imported.data["total_usd"] == "2670.10"


def test_every_bad_row_is_listed_with_line_column_and_reason_and_nothing_is_written(app, ids):
    a = ids["emails"][0]
    data = _csv(
        f"{a},TRAVEL,ok,10.00,USD,2024-10-18,Self,,,,,,",                            # line 2 fine
        "ghost@example.org,TRAVEL,,10.00,USD,2024-10-18,Self,,,,,,",                # 3
        f"{a},TRAVEL,,-5,USD,2024-10-18,Self,,,,,,",                                 # 4
        f"{a},TRAVEL,,abc,USD,2024-10-18,Self,,,,,,",                                # 5
        f"{a},TRAVEL,,10,XYZ,2024-10-18,Self,,,,,,",                                 # 6
        f"{a},TRAVEL,,10,EUR,2024-10-18,Self,,,,,,",                                 # 7 no rate
        f"{a},TRAVEL,,10,USD,2024-10-18,New Payer,MARTIAN,,,,,",                     # 8
        f"{a},BRIBE,,10,USD,18/10/2024,,,,,,maybe,",                                 # 9
        f"{a},TRAVEL,,10,USD,2024-10-18,Self,CAMPAIGN,,,,,",                         # 10
        f"{a},TRAVEL,,10,USD,2024-10-18,Another,,,Nobody,,,",                        # 11
        f"{a},TRAVEL,,10,GBP,2024-09-01,Self,,,,,,",                                 # 12 too early
        f"{a},TRAVEL,,10,USD,2024-10-18,Self,,,,,,9.00")                             # 13
    with app.app_context():
        with pytest.raises(ImportRejected) as caught:
            costs_import.import_costs(db.session, _deployment(), data, actor=None,
                                      filename="costs.csv")
        db.session.rollback()
    found = {(e.line, e.column) for e in caught.value.errors}
    assert found == {
        (3, "volunteer_email"), (4, "amount"), (5, "amount"), (6, "currency"),
        (7, "amount_usd"), (8, "payer_kind"), (9, "category"), (9, "incurred_on"),
        (9, "payer_name"), (9, "in_residence"), (10, "payer_kind"), (11, "payer_kind"),
        (11, "arranged_by"), (12, "amount_usd"), (13, "amount_usd")}
    message = caught.value.message
    for text in ("costs.csv: 11 rows with problems; nothing was imported",
                 "line 3, volunteer_email: no volunteer has the email ghost@example.org",
                 "line 4, amount: An amount cannot be negative.",
                 "line 6, currency: 'XYZ' is not an ISO 4217 currency code",
                 "line 7, amount_usd: is blank and there is no EUR exchange rate on or before "
                 "2024-10-18",
                 "line 8, payer_kind: 'MARTIAN' is not a payer kind",
                 "line 9, incurred_on: '18/10/2024' is not a date; write it as YYYY-MM-DD",
                 "line 10, payer_kind: 'Self' is in the payer registry as SELF, not CAMPAIGN",
                 "line 11, arranged_by: 'Nobody' is neither in the payer registry",
                 "line 13, amount_usd: for a USD line it must equal amount"):
        assert text in message, text
    assert count_rows(app, Cost) == 0 and count_rows(app, Payer) == 3


def test_a_new_payer_needs_one_kind_throughout_the_file(app, ids):
    a = ids["emails"][0]
    data = _csv(f"{a},TRAVEL,,1,USD,2024-10-18,Fresh,,,,,,",
                f"{a},TRAVEL,,1,USD,2024-10-18,Newco,US_ORGANISATION,US,,,,",
                f"{a},TRAVEL,,1,USD,2024-10-18,Newco,SELF,,,,,",
                f"{a},TRAVEL,,1,USD,2024-10-18,Newco,,GB,,,,")
    with app.app_context(), pytest.raises(ImportRejected) as caught:
        costs_import.check_costs(db.session, _deployment(), data)
    assert [(e.line, e.column) for e in caught.value.errors] == [
        (2, "payer_kind"), (3, "payer_org_type"), (4, "payer_kind"), (5, "payer_country")]
    assert "'Newco' is US_ORGANISATION on line 3; one payer has one kind." in caught.value.message


@pytest.mark.parametrize(("data", "message"), [
    (b"volunteer_email,category,amount\nx,TRAVEL,1\n", "lacks the columns description, currency"),
    ("volunteer_email\nJos\xe9\n".encode("cp1252"), "is not UTF-8"),
    (b"\x00\x01binary", "not a text file"),
])
def test_unreadable_files_are_refused_whole(app, ids, data, message):
    with app.app_context(), pytest.raises(FileRejected, match=message):
        costs_import.import_costs(db.session, _deployment(), data, actor=None)


# -- command line -------------------------------------------------------------------------
def test_cli_import_and_dry_run(app, ids, runner, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(_good(ids))
    dry = runner.invoke(args=["import", "costs", "imp", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: 4 rows of costs.csv are fine (2670.10 USD); nothing was written." in dry.output
    assert "New payers would be: Dana Whitfield (US_INDIVIDUAL)" in dry.output
    assert count_rows(app, Cost) == 0 and count_rows(app, Payer) == 3
    done = runner.invoke(args=["import", "costs", "imp", str(path)])
    assert done.exit_code == 0, done.output
    assert "Imported 4 cost lines into imp (2670.10 USD)." in done.output
    assert count_rows(app, Cost) == 4


def test_cli_lists_every_bad_row_and_exits_1_writing_nothing(app, ids, runner, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(_csv(f"{ids['emails'][0]},TRAVEL,,-1,USD,2024-10-18,Self,,,,,,",
                          "nobody@example.org,TRAVEL,,1,USD,2024-10-18,Self,,,,,,"))
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(args=["import", "costs", "imp", str(path), *extra])
        assert result.exit_code == 1
        assert "2 rows with problems; nothing was imported" in result.output
        assert "line 2, amount: An amount cannot be negative." in result.output
        assert "line 3, volunteer_email: no volunteer has the email nobody@example.org" \
            in result.output
    assert count_rows(app, Cost) == 0


def test_cli_refuses_a_50_mb_file_a_workbook_and_an_unknown_deployment(app, ids, runner,
                                                                       tmp_path):
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as handle:
        handle.write(HEADER.encode() + b"\n")
        handle.truncate(50 * 1024 * 1024)
    result = runner.invoke(args=["import", "costs", "imp", str(huge)])
    assert result.exit_code == 1 and "huge.csv is 50.0 MB; an import may be at most" \
        in result.output
    book = tmp_path / "costs.xlsx"
    book.write_bytes(b"PK\x03\x04zip")
    result = runner.invoke(args=["import", "costs", "imp", str(book)])
    assert result.exit_code == 1 and "costs.xlsx is not a CSV file" in result.output
    good = tmp_path / "costs.csv"
    good.write_bytes(_good(ids))
    result = runner.invoke(args=["import", "costs", "no-such", str(good)])
    assert result.exit_code == 1 and "No deployment called 'no-such'" in result.output
    assert count_rows(app, Cost) == 0


# -- browser ------------------------------------------------------------------------------
BASE = "/organiser/deployments/imp/ledger/import"


def _upload(client, data: bytes, name="costs.csv"):
    response = client.post(BASE, data={"csrf_token": csrf_token(client, BASE),
                                       "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    # The test client spools a big body to a temporary file; a refused body is never read
    # to the end, so close it here (a real server owns its socket stream).
    response.request.environ["wsgi.input"].close()
    return response


def test_upload_preview_then_confirm(app, ids, client, login_as):
    login_as(Role.ORGANISER)
    uploaded = _upload(client, _good(ids))
    assert uploaded.status_code == 302
    assert count_rows(app, Cost) == 0  # nothing written before the confirmation
    preview_path = uploaded.location
    preview = client.get(preview_path).get_data(as_text=True)
    assert "4 lines, 2670.10 USD</strong> will be added. Nothing has been written yet." in preview
    assert "Dana Whitfield</strong> (US_INDIVIDUAL, US)" in preview
    assert "Import 4 lines" in preview and ids["emails"][0] in preview
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview).group(1)
    confirmed = client.post(preview_path, data={"csrf_token": token})
    assert confirmed.status_code == 302
    assert "Imported 4 cost lines from costs.csv (2670.10 USD in all)." in client.get(
        confirmed.location).get_data(as_text=True)
    assert count_rows(app, Cost) == 4 and count_rows(app, ImportUpload) == 0
    again = client.post(preview_path, data={"csrf_token": token})  # a second click
    assert again.status_code == 302 and count_rows(app, Cost) == 4
    assert "no longer waiting" in client.get(again.location).get_data(as_text=True)


def test_a_bad_upload_lists_its_problems_and_stages_nothing(app, ids, client, login_as):
    login_as(Role.ORGANISER)
    bad = _upload(client, _csv(f"{ids['emails'][0]},TRAVEL,,10,EUR,2024-10-18,Self,,,,,,",
                               "ghost@example.org,TRAVEL,,ten,USD,2024-10-18,Self,,,,,,"))
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "2 rows with problems; nothing was imported" in page
    assert "no EUR exchange rate on or before 2024-10-18" in page
    assert "no volunteer has the email ghost@example.org" in page
    assert '<td class="num">3</td><th scope="row">volunteer_email</th>' in page
    for data, name, message in (
            ("a,b\n1,2\n".encode("utf-16"), "costs.csv", "not a text file"),
            ("x\nJos\xe9\n".encode("latin-1"), "costs.csv", "is not UTF-8 text"),
            (b"PK\x03\x04....", "costs.xlsx", "costs.xlsx is not a CSV file"),
            (b"", "costs.csv", "is empty")):
        response = _upload(client, data, name)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    no_file = client.post(BASE, data={"csrf_token": csrf_token(client, BASE)})
    assert no_file.status_code == 422 and "Choose a .csv file" in no_file.get_data(as_text=True)
    assert count_rows(app, Cost) == 0 and count_rows(app, ImportUpload) == 0


def test_a_50_mb_upload_is_refused_with_a_clear_message(app, ids, client, login_as):
    login_as(Role.ORGANISER)
    big = HEADER.encode() + b"\n" + b"x" * (50 * 1024 * 1024)
    response = _upload(client, big)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is larger than the 10.0 MB an import may be" in page
    assert "Import cost lines from a spreadsheet" in page
    assert count_rows(app, Cost) == 0 and count_rows(app, ImportUpload) == 0


def test_an_upload_over_the_import_limit_but_under_the_request_limit(app, ids, client, login_as,
                                                                     make_app):
    small = make_app(IMPORT_MAX_BYTES=1024)
    small_client = small.test_client()
    from .conftest import log_in
    email = login_as(Role.ORGANISER)
    log_in(small_client, email)
    data = _good(ids) + b"\n" * 2048
    response = small_client.post(BASE, data={"csrf_token": csrf_token(small_client, BASE),
                                             "file": (io.BytesIO(data), "costs.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "an import may be at most 1 KB" in response.get_data(as_text=True)


def test_confirming_reports_changes_made_since_the_upload_and_writes_nothing(
        app, ids, client, login_as):
    login_as(Role.ORGANISER)
    uploaded = _upload(client, _good(ids))
    with app.app_context():  # someone registers Dana as another kind meanwhile
        from app.services import ledger
        ledger.add_payer(db.session, _deployment(), name="Dana Whitfield", kind="CAMPAIGN",
                         actor=None)
        db.session.commit()
    # The preview shows what the check found on upload (the file is not read again) ...
    assert "Import 4 lines" in client.get(uploaded.location).get_data(as_text=True)
    # ... and confirming checks the parsed rows against the database as it is now.
    confirmed = client.post(uploaded.location, data={"csrf_token": csrf_token(client, BASE)})
    page = confirmed.get_data(as_text=True)
    assert confirmed.status_code == 409
    assert "in the payer registry as CAMPAIGN, not US_INDIVIDUAL" in page
    assert "Import 4 lines" not in page
    assert count_rows(app, Cost) == 0 and count_rows(app, ImportUpload) == 1


def test_the_file_is_read_once_per_upload(app, ids, client, login_as, monkeypatch):
    """Upload, preview and confirm: the CSV is parsed on upload only."""
    from app.services import csv_import
    reads = []
    real_parse = csv_import.parse
    monkeypatch.setattr(csv_import, "parse",
                        lambda *args, **kwargs: reads.append(1) or real_parse(*args, **kwargs))
    login_as(Role.ORGANISER)
    uploaded = _upload(client, _good(ids))
    assert client.get(uploaded.location).status_code == 200
    confirmed = client.post(uploaded.location, data={"csrf_token": csrf_token(client, BASE)})
    assert confirmed.status_code == 302 and count_rows(app, Cost) == 4
    assert len(reads) == 1


def test_an_upload_can_be_discarded_and_stale_tokens_are_not_found(app, ids, client, login_as):
    login_as(Role.ORGANISER)
    uploaded = _upload(client, _good(ids))
    discarded = client.post(uploaded.location + "/discard",
                            data={"csrf_token": csrf_token(client, BASE)})
    assert discarded.status_code == 302 and count_rows(app, ImportUpload) == 0
    assert client.get(uploaded.location).status_code == 404
    assert client.get(BASE + "/made-up-token").status_code == 404
    assert count_rows(app, Cost) == 0


def test_the_same_file_twice_is_refused_unless_asked_for_again(app, ids):
    with app.app_context():
        costs_import.import_costs(db.session, _deployment(), _good(ids), actor=None,
                                  filename="costs.csv")
        db.session.commit()
        # A renamed copy with the same bytes is the same file.
        preview = costs_import.check_costs(db.session, _deployment(), _good(ids),
                                           filename="costs (1).csv")
        assert [e.lines for e in preview.imported_before] == [4]
        with pytest.raises(costs_import.RepeatedImport, match="add all 4 lines a second time"):
            costs_import.import_costs(db.session, _deployment(), _good(ids), actor=None,
                                      filename="costs (1).csv")
        db.session.rollback()
        assert count_rows(app, Cost) == 4
        costs_import.import_costs(db.session, _deployment(), _good(ids), actor=None,
                                  filename="costs (1).csv", again=True)
        db.session.commit()
        assert count_rows(app, Cost) == 8
        # A different file is not held up by the earlier ones.
        other = _good(ids).replace(b"Dinners", b"Lunches")
        assert costs_import.check_costs(db.session, _deployment(), other).imported_before == []


def test_cli_warns_on_a_dry_run_and_refuses_a_repeat_without_again(app, ids, runner, tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(_good(ids))
    assert runner.invoke(args=["import", "costs", "imp", str(path)]).exit_code == 0
    dry = runner.invoke(args=["import", "costs", "imp", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Warning: costs.csv was imported on" in dry.output
    repeat = runner.invoke(args=["import", "costs", "imp", str(path)])
    assert repeat.exit_code != 0 and "already imported" in repeat.output
    assert count_rows(app, Cost) == 4
    again = runner.invoke(args=["import", "costs", "imp", str(path), "--again"])
    assert again.exit_code == 0, again.output
    assert count_rows(app, Cost) == 8


def test_the_preview_warns_of_a_repeat_and_only_an_explicit_again_imports_it(app, ids, client,
                                                                             login_as):
    login_as(Role.ORGANISER)
    with app.app_context():
        costs_import.import_costs(db.session, _deployment(), _good(ids), actor=None,
                                  filename="costs.csv")
        db.session.commit()
    preview_path = _upload(client, _good(ids)).location
    page = client.get(preview_path).get_data(as_text=True)
    assert "Already imported: costs.csv was imported on" in page
    assert "Import these 4 lines again" in page and "again=1" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    plain = client.post(preview_path, data={"csrf_token": token})
    assert "already imported" in client.get(plain.location).get_data(as_text=True)
    assert count_rows(app, Cost) == 4
    confirmed = client.post(preview_path + "?again=1", data={"csrf_token": token})
    assert "Imported 4 cost lines" in client.get(confirmed.location).get_data(as_text=True)
    assert count_rows(app, Cost) == 8
