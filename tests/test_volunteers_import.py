"""volunteers.csv: accounts, declarations and claims through the same capacity path; all or nothing."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Signup, SignupStatus, User, Volunteer
from app.services import volunteers_import
from app.services.csv_import import FileRejected, ImportRejected

from .builders import claim_spot, make_organiser, make_signup_deployment, register_volunteer

pytestmark = pytest.mark.usefixtures("app_ctx")

HEADER = ("full_name,email,citizenship,country,home_organisation,affiliation,state,role,"
          "arrive_on,depart_on,leave_type,role_override_reason\n")


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def _counts():
    return (db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Signup)))


def test_import_creates_accounts_declarations_and_claims():
    dep = make_signup_deployment(spots={"NC": 2, "PA": 1})
    existing = register_volunteer(email="old@example.org", declared=False)
    data = _csv(
        "Ava Penrose,ava@example.org,FOREIGN_NATIONAL,GB,Northbridge Labour Party,current_staff,NC,canvasser,2024-10-21,2024-11-05,UNPAID,",
        "Old Friend,OLD@example.org,US_CITIZEN,US,,none,nc,driver,,,NOT_EMPLOYED,",
        "Leo Ashdown,leo@example.org,FOREIGN_NATIONAL,IE,,member,NC,canvasser,,,,",
        "Zara Rahman,zara@example.org,FOREIGN_NATIONAL,GB,,former_staff,PA,strategy_adviser,,,NOT_EMPLOYED,Advises on volunteer logistics only",
        "No Claim,noclaim@example.org,LPR,GB,,,,,,,,")
    result = volunteers_import.import_volunteers(db.session, dep, data, actor=make_organiser(),
                                                 filename="volunteers.csv")
    db.session.commit()
    assert result.rows == 5 and result.new_accounts == 4
    assert result.claims == {("NC", "confirmed"): 2, ("NC", "waitlisted"): 1, ("PA", "confirmed"): 1}
    assert existing.citizenship.value == "US_CITIZEN" and existing.attested_at is None
    zara = db.session.scalar(select(Volunteer).join(User).where(User.email == "zara@example.org"))
    assert zara.signups[0].role_override_reason == "Advises on volunteer logistics only"
    leo = db.session.scalar(select(Volunteer).join(User).where(User.email == "leo@example.org"))
    assert leo.leave_type is None   # left undeclared, not guessed


@pytest.mark.parametrize(("row", "column", "words"), [
    ("X,bad-email,FOREIGN_NATIONAL,GB,,,NC,canvasser,,,,", "email", "Not a valid email"),
    (",x@example.org,FOREIGN_NATIONAL,GB,,,NC,canvasser,,,,", "full_name", "is empty"),
    ("X,x@example.org,ALIEN,GB,,,NC,canvasser,,,,", "citizenship", "not a citizenship"),
    ("X,x@example.org,FOREIGN_NATIONAL,XX,,,NC,canvasser,,,,", "country", "ISO 3166"),
    ("X,x@example.org,FOREIGN_NATIONAL,GB,,,VA,canvasser,,,,", "state", "not a state of this"),
    ("X,x@example.org,FOREIGN_NATIONAL,GB,,,NC,king,,,,", "role", "not a role"),
    ("X,x@example.org,FOREIGN_NATIONAL,GB,,,NC,canvasser,2024-09-01,,,", "arrive_on", "window"),
    ("X,x@example.org,FOREIGN_NATIONAL,GB,,,NC,canvasser,21/10/2024,,,", "arrive_on", "YYYY-MM-DD"),
    ("X,x@example.org,FOREIGN_NATIONAL,GB,,,NC,manager,,,,", "role_override_reason", "needs the organiser"),
    ("X,x@example.org,FOREIGN_NATIONAL,GB,,,NC,canvasser,,,ON_HOLIDAY,", "leave_type", "not a leave type"),
])
def test_a_bad_row_is_reported_with_line_and_column_and_nothing_is_written(row, column, words):
    dep = make_signup_deployment(spots={"NC": 5, "PA": 5})
    db.session.commit()
    before = _counts()
    good = "Good Row,good@example.org,US_CITIZEN,US,,none,NC,canvasser,,,NOT_EMPLOYED,"
    with pytest.raises(ImportRejected) as caught:
        volunteers_import.import_volunteers(db.session, dep, _csv(good, row), actor=None,
                                            filename="v.csv")
    db.session.rollback()
    assert _counts() == before
    [error] = caught.value.errors
    assert (error.line, error.column) == (3, column) and words in error.reason


def test_every_bad_row_is_listed_and_duplicates_are_caught():
    dep = make_signup_deployment()
    make_organiser(email="boss@example.org")
    db.session.commit()
    data = _csv("A,a@example.org,US_CITIZEN,US,,,NC,,,,,",
                "B,A@example.org,US_CITIZEN,US,,,NC,,,,,",
                "C,boss@example.org,US_CITIZEN,US,,,,,,,,",
                "D,d@example.org,nope,US,,,ZZ,,,,,")
    with pytest.raises(ImportRejected) as caught:
        volunteers_import.import_volunteers(db.session, dep, data, actor=None, filename="v.csv")
    reasons = [(e.line, e.column) for e in caught.value.errors]
    assert reasons == [(3, "email"), (4, "email"), (5, "citizenship"), (5, "state")]
    assert "line 3, email: is also on line 2" in str(caught.value)


def test_without_a_waitlist_rows_beyond_the_free_spots_are_errors():
    dep = make_signup_deployment(spots={"NC": 2}, keeps_waitlist=False)
    claim_spot(dep, register_volunteer(), "NC")
    db.session.commit()
    before = _counts()
    data = _csv(*(f"P{i},p{i}@example.org,US_CITIZEN,US,,,NC,canvasser,,,," for i in range(3)))
    with pytest.raises(ImportRejected) as caught:
        volunteers_import.import_volunteers(db.session, dep, data, actor=None, filename="v.csv")
    db.session.rollback()
    assert [e.line for e in caught.value.errors] == [3, 4]
    assert "NC is full: 1 spot(s) remain" in caught.value.errors[0].reason
    assert _counts() == before


def test_someone_who_already_signed_up_cannot_be_imported_into_a_claim_again():
    dep = make_signup_deployment()
    claim_spot(dep, register_volunteer(email="here@example.org"), "NC")
    db.session.commit()
    with pytest.raises(ImportRejected, match="already has"):
        volunteers_import.import_volunteers(
            db.session, dep, _csv("H,here@example.org,US_CITIZEN,US,,,PA,,,,,"), actor=None)


@pytest.mark.parametrize(("data", "words"), [
    (b"full_name,email\nA,a@example.org\n", "lacks the columns"),
    (b"\xff\xfe" + HEADER.encode("utf-16-le"), "not a text file"),
    (HEADER.encode() + "Zoë,z@example.org,US_CITIZEN,US,,,,,,,,\n".encode("latin-1"), "not UTF-8"),
    (HEADER.encode(), "no rows"),
])
def test_unreadable_files_are_refused(data, words):
    dep = make_signup_deployment()
    with pytest.raises(FileRejected, match=words):
        volunteers_import.import_volunteers(db.session, dep, data, actor=None, filename="v.csv")


def test_rows_on_a_waitlist_keep_file_order():
    dep = make_signup_deployment(spots={"NC": 1})
    data = _csv(*(f"P{i},p{i}@example.org,US_CITIZEN,US,,,NC,canvasser,,,," for i in range(4)))
    volunteers_import.import_volunteers(db.session, dep, data, actor=None)
    db.session.commit()
    waiting = db.session.scalars(select(User.email).join(Volunteer).join(Signup)
                                 .where(Signup.status == SignupStatus.WAITLISTED)
                                 .order_by(Signup.id)).all()
    assert waiting == ["p1@example.org", "p2@example.org", "p3@example.org"]

