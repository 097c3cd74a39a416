"""The demo deployment (scenario.md), with invented people.

About a hundred current and former staff of a foreign party volunteer in NC, NV, PA and VA;
NC is nearly full and VA has a waitlist; housing of every kind, one hotel "arranged by the party,
payer unknown"; flights paid by volunteers, by the party for a few and by the campaign for one;
stipends; one staffer on paid working time. Loading twice changes nothing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (AccommodationKind, Affiliation, Citizenship, CostCategory, CostSplit,
                      Deployment, ExchangeRate, LeaveType, OrganisationType, PayerKind, Role,
                      Signup, SignupRole, SignupStatus, Volunteer)
from . import accounts, deployment_status, deployments, housing, ledger, staff
from .compliance import fec_facts

SLUG = "us-2024-general"  # the 2024 season's (tests pin the day in it); see slug_for
PASSWORD = "tripledger-demo-2024"  # nosec B105 - the published demo password (README)
DOMAIN = "demo.tripledger.example"
#: The scenario's season. A later load moves every date by whole weeks to the next
#: presidential general election still to come, so the demo stays a live example.
SEASON = 2024
STARTS, ENDS = date(2024, 10, 20), date(2024, 11, 6)
#: state → (capacity, held spots, waitlisted, base city)
PLACEMENTS = {"NC": (40, 38, 0, "Raleigh"), "NV": (20, 14, 0, "Las Vegas"),
              "PA": (30, 24, 0, "Philadelphia"), "VA": (12, 12, 3, "Richmond")}
_SENDER = "Northbridge Labour Party"
DEMO_LOGINS = [("admin", Role.ADMIN, "Ada Admin"), ("organiser", Role.ORGANISER, "Olu Organiser"),
               ("auditor", Role.AUDITOR, "Aud Itor"), ("volunteer", Role.VOLUNTEER, "Vera Volunteer")]

_FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Freya", "Leo",
          "Grace", "Oscar", "Lily", "Harry", "Ella", "Jack", "Rosie", "Alfie", "Evie", "Theo",
          "Maya", "Finn", "Zara", "Rory", "Nia", "Kwame", "Priya", "Tomasz", "Aoife", "Dev"]
_LAST = ["Hartley", "Okafor", "Brennan", "Sandhu", "Whitlock", "Mensah", "Fairbairn", "Kowalski",
         "Delaney", "Achterberg", "Penrose", "Quayle", "Rahman", "Lindqvist", "Morrow", "Ashdown"]


@dataclass
class DemoSummary:
    created: bool
    logins: list[tuple[str, str]] = field(default_factory=list)
    slug: str = SLUG

    def describe(self) -> str:
        head = ("Loaded the demo deployment " if self.created else
                "The demo deployment was already loaded: ") + f"/deployments/{self.slug}"
        lines = [head, "Demo logins (password for all: " + PASSWORD + "):"]
        lines += [f"  {role:<10} {email}" for email, role in self.logins]
        return "\n".join(lines)


def election_day(year: int) -> date:
    """US general election: the Tuesday after the first Monday of November."""
    first_monday = date(year, 11, 1) + timedelta(days=(7 - date(year, 11, 1).weekday()) % 7)
    return first_monday + timedelta(days=1)


def season_for(today: date) -> int:
    """The first presidential election year from 2024 whose deployment has not ended."""
    year = SEASON
    while ENDS + (election_day(year) - election_day(SEASON)) < today:
        year += 4
    return year


def slug_for(year: int) -> str:
    return f"us-{year}-general"


def load_demo(session: Session, today: date | None = None) -> DemoSummary:
    """Create the demo logins and deployment unless they exist, dated in the season of
    ``today`` (the app's day by default). Flushes; the caller commits."""
    logins = [(_demo_login(session, name, role, full), role.value)
              for name, role, full in DEMO_LOGINS]
    slug = session.scalar(select(Deployment.slug).where(Deployment.slug.like("us-%-general"),
                                                        Deployment.sending_organisation
                                                        == _SENDER))
    created = slug is None
    if created:
        year = season_for(today or deployment_status.today())
        _DemoBuilder(session, year).build()
        slug = slug_for(year)
    _demo_organiser_runs_it(session, slug)
    return DemoSummary(created, logins, slug)


def _demo_organiser_runs_it(session: Session, slug: str) -> None:
    """The demo's organiser is on the demo deployment's staff (once)."""
    deployment = deployments.get_deployment(session, slug)
    organiser = accounts.get_user(session, f"organiser@{DOMAIN}")
    if organiser.role is Role.ORGANISER and not staff.is_member(session, deployment, organiser):
        staff.add_member(session, deployment, organiser, actor=None)


def _demo_login(session: Session, name: str, role: Role, full_name: str) -> str:
    email = f"{name}@{DOMAIN}"
    if accounts.find_user(session, email) is None:
        accounts.create_user(session, email=email, full_name=full_name, role=role,
                             password=PASSWORD, actor=None)
    return email


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=timezone.utc)


class _DemoBuilder:
    def __init__(self, session: Session, year: int = SEASON):
        self.s = session
        # Seeded on purpose: the same demo every time; nothing secret comes from it.
        self.rng = random.Random(2024)  # nosec B311
        self.year = year
        # Whole weeks (both are Tuesdays): every date keeps its weekday and its distance
        # from election day.
        self.shift = election_day(year) - election_day(SEASON)
        self.starts, self.ends = STARTS + self.shift, ENDS + self.shift
        self.campaign_name = f"Harper for America {year}"

    def day(self, month: int, day: int) -> date:
        """A date of the scenario's 2024 season, moved to this demo's season."""
        return date(SEASON, month, day) + self.shift

    def build(self) -> None:
        self.deployment = deployments.create_deployment(
            self.s, slug=slug_for(self.year), name=f"Autumn {self.year} volunteer deployment",
            actor=None, starts_on=self.starts, ends_on=self.ends, sending_organisation=_SENDER,
            receiving_committee=self.campaign_name,
            election=deployments.Election(f"G{self.year}", "president", "US",
                                          f"{self.year} general", election_day(self.year)))
        for code, (capacity, _held, _wait, city) in PLACEMENTS.items():
            deployments.set_capacity(self.s, self.deployment, code, capacity, actor=None,
                                     base_city=city)
        self._rates()
        self._payers()
        self._volunteers()
        self._housing()
        self._costs()

    # -- reference data -------------------------------------------------------------------
    def _rates(self) -> None:
        day, last = self.day(9, 30), self.day(11, 10)
        while day <= last:
            wobble = Decimal(self.rng.randint(-150, 150)) / 10000
            for currency, base in (("GBP", Decimal("1.3050")), ("EUR", Decimal("1.0900"))):
                if self.s.scalar(select(ExchangeRate.id).where(
                        ExchangeRate.currency == currency, ExchangeRate.rate_on == day)) is None:
                    ledger.record_exchange_rate(self.s, currency=currency, rate_on=day,
                                                usd_per_unit=base + wobble, actor=None,
                                                source="Central bank daily spot rate (demo)")
            day += timedelta(days=1)

    def _payers(self) -> None:
        def payer(key, name, kind, country=None, org=None):
            setattr(self, key, ledger.find_or_add_payer(self.s, self.deployment, name=name,
                                                        kind=kind, country=country,
                                                        organisation_type=org, actor=None))
        payer("self_payer", "The volunteer (self)", PayerKind.SELF)
        payer("campaign", self.campaign_name, PayerKind.CAMPAIGN, "US")
        payer("party", "Northbridge Labour Party", PayerKind.FOREIGN_PARTY, "GB")
        payer("union", "Northbridge Transport Union", PayerKind.FOREIGN_ENTITY, "GB")
        payer("donor", "Margaret Ellison", PayerKind.FOREIGN_INDIVIDUAL, "GB")
        payer("host_nc", "Dana Whitfield (host, Durham)", PayerKind.US_INDIVIDUAL, "US")
        payer("host_va", "Luis Ortega (host, Richmond)", PayerKind.US_INDIVIDUAL, "US")
        payer("supporter", "Ben Carver", PayerKind.US_INDIVIDUAL, "US")
        payer("pac", "Carolina Volunteers PAC", PayerKind.US_ORGANISATION, "US",
              OrganisationType.POLITICAL_COMMITTEE)
        payer("corp", "Keystone Hospitality Inc.", PayerKind.US_ORGANISATION, "US",
              OrganisationType.CORPORATION)
        payer("unknown", "Not disclosed", PayerKind.UNKNOWN)
        # What the FEC export needs: the filer's committee id, US payers' addresses and the
        # paying committee's id (all invented; the C00 ids are not real committees').
        fec_facts.set_committee_fec_id(self.s, self.deployment, "C00990024", actor=None)
        for key, street, city, state, zip_, committee in (
                ("campaign", "410 Glenwood Ave", "Raleigh", "NC", "27603", None),
                ("host_nc", "1208 Watts St", "Durham", "NC", "27701", None),
                ("host_va", "2315 Grove Ave", "Richmond", "VA", "23220", None),
                ("supporter", "88 Ridge Rd", "Asheville", "NC", "28801", None),
                ("pac", "300 Fayetteville St, Suite 1200", "Raleigh", "NC", "276011234",
                 "C00990031"),
                ("corp", "1 Market Sq", "Harrisburg", "PA", "17101", None)):
            fec_facts.set_payer_fec_facts(self.s, getattr(self, key), actor=None,
                                          street_1=street, city=city, state_code=state,
                                          zip_=zip_, fec_committee_id=committee)

    # -- people and sign-ups --------------------------------------------------------------
    def _volunteers(self) -> None:
        self.signed: dict[str, list[Signup]] = {code: [] for code in PLACEMENTS}
        self.volunteers: list[Volunteer] = []
        placements = {p.state_code: p for p in self.deployment.placements}
        vera = accounts.find_user(self.s, f"volunteer@{DOMAIN}").volunteer
        self._declare(vera, 0)
        people = [vera] + [self._person(i) for i in range(1, 100)]
        index = 0
        for code, (_capacity, held, waitlisted, _city) in PLACEMENTS.items():
            for n in range(held + waitlisted):
                volunteer = people[index]
                status = SignupStatus.WAITLISTED if n >= held else (
                    SignupStatus.PENDING_APPROVAL if n == held - 1 and code == "PA"
                    else SignupStatus.CONFIRMED)
                self.signed[code].append(self._sign_up(volunteer, placements[code], status, index))
                index += 1
        self.volunteers = people
        self.unsigned = people[index:]

    def _person(self, i: int) -> Volunteer:
        first = _FIRST[i % len(_FIRST)]
        last = _LAST[(i * 7) % len(_LAST)]
        email = f"{first}.{last}.{i}@{DOMAIN}".lower()
        user = accounts.find_user(self.s, email) or accounts.create_user(
            self.s, email=email, full_name=f"{first} {last}", role=Role.VOLUNTEER,
            password=None, actor=None)
        volunteer = user.volunteer
        if i < 96:  # the last few have registered but not declared yet
            self._declare(volunteer, i)
        return volunteer

    def _declare(self, volunteer: Volunteer, i: int) -> None:
        if i % 17 == 3:
            citizenship, country = Citizenship.US_CITIZEN, "US"   # dual nationals count as US
        elif i % 29 == 5:
            citizenship, country = Citizenship.LPR, "GB"
        else:
            citizenship, country = Citizenship.FOREIGN_NATIONAL, "GB" if i % 11 else "IE"
        affiliation = [Affiliation.CURRENT_STAFF, Affiliation.FORMER_STAFF, Affiliation.MEMBER,
                       Affiliation.CURRENT_STAFF, Affiliation.FORMER_STAFF][i % 5]
        if i == 9:
            affiliation = Affiliation.NONE
        if affiliation is Affiliation.CURRENT_STAFF:
            leave = LeaveType.UNPAID if i % 3 else LeaveType.BONA_FIDE_EARNED_LEAVE
        else:
            leave = LeaveType.NOT_EMPLOYED
        if i == 12:  # the staffer working on paid time (scenario.md)
            affiliation, leave = Affiliation.CURRENT_STAFF, LeaveType.WORKING_TIME
        volunteer.citizenship, volunteer.country = citizenship, country
        volunteer.affiliation, volunteer.leave_type = affiliation, leave
        volunteer.home_organisation = "Northbridge Labour Party" \
            if affiliation is not Affiliation.NONE else "Hartwell Community Trust"
        # Never in the future: a demo of a season to come was declared when it was loaded.
        volunteer.declared_at = volunteer.attested_at = min(_at(self.day(10, 10)),
                                                            datetime.now(timezone.utc))
        volunteer.attestation_text = ("I confirm that no one is compensating me for the time I "
                                      "spend volunteering on this trip.")

    def _sign_up(self, volunteer: Volunteer, placement, status: SignupStatus, i: int) -> Signup:
        role = SignupRole.CANVASSER
        if i % 6 == 1:
            role = SignupRole.PHONE_BANKER
        elif i % 13 == 2:
            role = SignupRole.DRIVER
        elif i % 19 == 4:
            role = SignupRole.DATA_ENTRY
        special = {7: SignupRole.TEAM_LEAD, 21: SignupRole.TEAM_LEAD,
                   33: SignupRole.STRATEGY_ADVISER, 45: SignupRole.MANAGER, 50: SignupRole.TRAINER,
                   61: SignupRole.EVENT_SUPPORT}
        role = special.get(i, role)
        override = None
        if role.is_decision_making and volunteer.citizenship is Citizenship.FOREIGN_NATIONAL:
            override = ("Advises on volunteer logistics only; organiser to confirm with counsel "
                        "(demo).")
        arrive = self.starts + timedelta(days=i % 4)
        signup = Signup(deployment_id=self.deployment.id, placement_id=placement.id,
                        volunteer_id=volunteer.id, role=role, arrive_on=arrive,
                        depart_on=self.ends - timedelta(days=i % 2), status=status,
                        role_override_reason=override)
        self.s.add(signup)
        self.s.flush()
        return signup

    # -- housing --------------------------------------------------------------------------
    def _housing(self) -> None:
        def place(name, kind, state, beds, cost, payer, arranged_by=None, currency="USD",
                  split=CostSplit.PER_BED, residence=False, address=""):
            return housing.add_accommodation(
                self.s, deployment=self.deployment, actor=None, name=name, kind=kind,
                state_code=state, beds=beds, nightly_cost=cost, currency=currency,
                cost_split=split, payer_id=payer.id,
                arranged_by_id=(arranged_by or payer).id, is_host_residence=residence,
                address=address, city=PLACEMENTS[state][3])

        plan = [
            (place("Midtown Raleigh Hotel", AccommodationKind.HOTEL, "NC", 24, "129.00",
                   self.campaign, address="410 Glenwood Ave, Raleigh"), "NC", 24),
            (place("Whitfield home", AccommodationKind.HOST_HOME, "NC", 3, "0.00", self.host_nc,
                   residence=True, address="12 Chapel Hill Rd, Durham"), "NC", 3),
            (place("Field house, Charlotte", AccommodationKind.CAMPAIGN_HOUSING, "NC", 12,
                   "360.00", self.campaign, split=CostSplit.SHARED,
                   address="88 Tryon St, Charlotte"), "NC", 11),
            (place("Strip-side short let", AccommodationKind.SHORT_LET, "NV", 8, "58.00",
                   self.self_payer, address="2200 Paradise Rd, Las Vegas"), "NV", 8),
            (place("Northbridge Union flat", AccommodationKind.SHORT_LET, "NV", 6, "45.00",
                   self.union, currency="GBP", address="15 Fremont St, Las Vegas"), "NV", 6),
            (place("Old City rooms (arranged by the party)", AccommodationKind.HOTEL, "PA", 10,
                   "149.00", self.unknown, arranged_by=self.party,
                   address="230 Market St, Philadelphia"), "PA", 10),
            (place("Keystone Suites", AccommodationKind.HOTEL, "PA", 8, "119.00", self.corp,
                   address="1 Penn Sq, Philadelphia"), "PA", 8),
            (place("Shared flat, Fishtown", AccommodationKind.SHORT_LET, "PA", 4, "240.00",
                   self.self_payer, split=CostSplit.SHARED,
                   address="1402 Frankford Ave, Philadelphia"), "PA", 4),
            (place("Ortega home", AccommodationKind.HOST_HOME, "VA", 2, "0.00", self.host_va,
                   residence=True, address="7 Monument Ave, Richmond"), "VA", 2),
            (place("Richmond campaign rooms", AccommodationKind.CAMPAIGN_HOUSING, "VA", 10,
                   "95.00", self.campaign, address="500 E Broad St, Richmond"), "VA", 10),
        ]
        queues = {code: [s for s in signups if s.status is not SignupStatus.WAITLISTED]
                  for code, signups in self.signed.items()}
        for accommodation, state, count in plan:
            for _ in range(count):
                if not queues[state]:
                    break
                signup = queues[state].pop(0)
                housing.assign_stay(self.s, signup=signup, accommodation=accommodation,
                                    check_in=signup.arrive_on, check_out=signup.depart_on,
                                    actor=None)

    # -- other things of value ------------------------------------------------------------
    def _costs(self) -> None:
        signed = [s.volunteer for code in PLACEMENTS for s in self.signed[code]
                  if s.status is not SignupStatus.WAITLISTED]

        def cost(volunteer, category, amount, payer, currency="USD", day=None, **details):
            return ledger.record_cost(self.s, deployment=self.deployment, volunteer=volunteer,
                               category=category, amount=amount, currency=currency,
                               incurred_on=day or self.day(10, 18), payer=payer, actor=None,
                               **details)

        # Flights: most pay their own; a few long-haul fares cross the $1,000 exemption.
        for n, volunteer in enumerate(signed):
            if n in (3, 4, 5, 20):
                continue  # paid by others below
            fare = Decimal(self.rng.randrange(480, 720)) if n % 9 else Decimal("915.00")
            cost(volunteer, CostCategory.TRAVEL, fare, self.self_payer, "GBP",
                 description="Return flight London–US", paid_to="Atlantic Air",
                 day=self.day(10, 1) + timedelta(days=n % 14))
        # The party pays flights and daily stipends for a few (the 2016 pattern).
        for volunteer in signed[3:6]:
            cost(volunteer, CostCategory.TRAVEL, "1840.00", self.party, "GBP",
                 description="Return flight booked by the party", paid_to="Atlantic Air",
                 evidence_ref=f"PARTY-INV-{self.year}-118")
        for volunteer in signed[3:5]:
            cost(volunteer, CostCategory.STIPEND, "1100.00", self.party, "GBP",
                 description="Daily stipend, 14 days", paid_to=volunteer.full_name,
                 day=self.day(11, 1))
        cost(signed[20], CostCategory.TRAVEL, "1275.00", self.campaign,
             description="Flight booked by the campaign", paid_to="Atlantic Air")
        cost(signed[22], CostCategory.PER_DIEM, "600.00", self.campaign,
             description="Campaign per diem, 12 days", paid_to=signed[22].full_name)
        cost(signed[24], CostCategory.GIFT, "15.00", self.campaign,
             description="Campaign t-shirt and button", paid_to=self.campaign_name)
        # The staffer on paid working time, and one on earned leave.
        staffer = self.volunteers[12]
        cost(staffer, CostCategory.SALARY_CONTINUED, "3200.00", self.party, "GBP",
             description="Salary continued during the trip (working time)", paid_to=staffer.full_name)
        earned = next(v for v in signed if v.leave_type is LeaveType.BONA_FIDE_EARNED_LEAVE)
        cost(earned, CostCategory.SALARY_CONTINUED, "2100.00", self.party, "GBP",
             description="Salary during earned annual leave", paid_to=earned.full_name)
        # US individuals, a PAC and a corporation.
        cost(signed[30], CostCategory.MEALS, "420.00", self.host_nc, in_residence=True,
             description="Dinners at the host's home", paid_to="Dana Whitfield")
        cost(signed[31], CostCategory.MEALS, "1180.00", self.host_nc, in_residence=True,
             description="Meals at the host's home, whole stay", paid_to="Dana Whitfield")
        cost(signed[40], CostCategory.TRAVEL, "310.00", self.supporter,
             description="Bus fares paid by a supporter", paid_to="Greyline")
        cost(signed[41], CostCategory.STIPEND, "500.00", self.supporter,
             description="Weekly allowance from a supporter", paid_to=signed[41].full_name)
        cost(signed[42], CostCategory.GIFT, "35.00", self.supporter,
             description="Birthday cake (personal gift)", paid_to="Corner Bakery")
        cost(signed[43], CostCategory.LOCAL_TRANSPORT, "260.00", self.pac,
             description="Rental car for canvass routes", paid_to="Carolina Car Rental")
        cost(signed[44], CostCategory.MEALS, "180.00", self.donor, "GBP",
             description="Meals paid by a party donor", paid_to="Various")
        cost(signed[45], CostCategory.MEALS, "240.00", self.self_payer,
             description="Own meals", paid_to="Various")
        cost(signed[46], CostCategory.LOCAL_TRANSPORT, "95.00", self.union, "EUR",
             description="Rail pass paid by the union", paid_to="Amtrak", arranged_by_id=self.party.id)
        cost(signed[47], CostCategory.TRAVEL, "640.00", self.self_payer, "GBP",
             description="Flight, arranged by the party's travel desk", paid_to="Atlantic Air",
             arranged_by_id=self.party.id)
        # Rule set 2024.2's cases: a reimbursed own expense (counted once), a host's spare
        # room with a value on record but no money paid out, a gift worth more than a
        # nominal item.
        fares = cost(signed[48], CostCategory.LOCAL_TRANSPORT, "420.00", self.self_payer,
                     description="Train and bus fares between canvass sites", paid_to="Amtrak",
                     line_ref="FARES-48")
        cost(signed[48], CostCategory.LOCAL_TRANSPORT, "420.00", self.pac,
             description="The PAC reimbursed the fares", paid_to=signed[48].full_name,
             reimburses_id=fares.id, day=self.day(10, 28))
        cost(signed[50], CostCategory.HOUSING, "350.00", self.host_va, in_residence=True,
             cash_outlay=False, description="Spare room at the host's home, 7 nights "
             "(estimated value)", paid_to="Luis Ortega")
        cost(signed[52], CostCategory.GIFT, "240.00", self.campaign,
             description="Engraved watch with campaign pin", paid_to=self.campaign_name)
        # Someone who never declared citizenship, with a flight already booked.
        undeclared = self.unsigned[-1]
        cost(undeclared, CostCategory.TRAVEL, "560.00", self.self_payer, "GBP",
             description="Flight booked before declaring", paid_to="Atlantic Air")
