"""The closed vocabularies of the domain (DESIGN.md). Stored as their string values."""
import enum

from sqlalchemy import Enum as SAEnum


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    VOLUNTEER = "volunteer"
    AUDITOR = "auditor"


class Citizenship(StrEnum):
    US_CITIZEN = "US_CITIZEN"
    LPR = "LPR"
    FOREIGN_NATIONAL = "FOREIGN_NATIONAL"

    @property
    def label(self) -> str:
        return {"US_CITIZEN": "US citizen", "LPR": "Lawful permanent resident",
                "FOREIGN_NATIONAL": "Foreign national"}[self.value]


class Affiliation(StrEnum):
    CURRENT_STAFF = "current_staff"
    FORMER_STAFF = "former_staff"
    MEMBER = "member"
    NONE = "none"


class LeaveType(StrEnum):
    NOT_EMPLOYED = "NOT_EMPLOYED"
    UNPAID = "UNPAID"
    BONA_FIDE_EARNED_LEAVE = "BONA_FIDE_EARNED_LEAVE"
    WORKING_TIME = "WORKING_TIME"
    SPECIAL_POLITICAL_LEAVE = "SPECIAL_POLITICAL_LEAVE"


class DeploymentStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    #: Kept for the record: off the public pages, read-only to claims.
    ARCHIVED = "archived"


class SignupRole(StrEnum):
    CANVASSER = "canvasser"
    PHONE_BANKER = "phone_banker"
    DRIVER = "driver"
    DATA_ENTRY = "data_entry"
    EVENT_SUPPORT = "event_support"
    TRAINER = "trainer"
    TEAM_LEAD = "team_lead"
    STRATEGY_ADVISER = "strategy_adviser"
    MANAGER = "manager"

    @property
    def is_decision_making(self) -> bool:
        return self in (SignupRole.STRATEGY_ADVISER, SignupRole.MANAGER)


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"
    PENDING_APPROVAL = "pending_approval"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    WITHDRAWN = "withdrawn"        # the volunteer withdrew, or declined an offer
    CANCELLED = "cancelled"        # an organiser cancelled it, with a reason
    REJECTED = "rejected"          # an organiser turned down a pending claim
    EXPIRED = "expired"            # a waitlist offer ran out before it was accepted


#: A volunteer holds at most one sign-up in these states per deployment.
ACTIVE_SIGNUP_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.PENDING_APPROVAL,
                          SignupStatus.WAITLISTED, SignupStatus.OFFERED)
#: These use one of a placement's spots.
SPOT_HOLDING_STATUSES = (SignupStatus.CONFIRMED, SignupStatus.PENDING_APPROVAL,
                         SignupStatus.OFFERED)


class AccommodationKind(StrEnum):
    HOTEL = "hotel"
    SHORT_LET = "short_let"
    HOST_HOME = "host_home"
    CAMPAIGN_HOUSING = "campaign_housing"


class CostSplit(StrEnum):
    """How an accommodation's nightly cost is charged to the people staying."""
    PER_BED = "per_bed"          # each occupant is charged the nightly cost
    SHARED = "shared"            # the nightly cost is split equally over the beds


class PayerKind(StrEnum):
    SELF = "SELF"
    CAMPAIGN = "CAMPAIGN"
    FOREIGN_PARTY = "FOREIGN_PARTY"
    FOREIGN_ENTITY = "FOREIGN_ENTITY"
    FOREIGN_INDIVIDUAL = "FOREIGN_INDIVIDUAL"
    US_INDIVIDUAL = "US_INDIVIDUAL"
    US_ORGANISATION = "US_ORGANISATION"
    UNKNOWN = "UNKNOWN"


class OrganisationType(StrEnum):
    """For US organisations: decides between a prohibited source (the first three) and a
    permissible one."""
    CORPORATION = "corporation"
    LABOR_UNION = "labor_union"
    FEDERAL_CONTRACTOR = "federal_contractor"
    POLITICAL_COMMITTEE = "political_committee"  # a PAC
    PARTY_COMMITTEE = "party_committee"
    UNINCORPORATED = "unincorporated"

    @property
    def label(self) -> str:
        return {"political_committee": "Political committee (PAC)",
                "party_committee": "Party committee"}.get(self.value, super().label)


class ElectionOffice(StrEnum):
    """The office an election is for (FEC: P, S, H)."""
    PRESIDENT = "president"
    SENATE = "senate"
    HOUSE = "house"


class CostCategory(StrEnum):
    HOUSING = "HOUSING"
    TRAVEL = "TRAVEL"
    LOCAL_TRANSPORT = "LOCAL_TRANSPORT"
    MEALS = "MEALS"
    PER_DIEM = "PER_DIEM"
    STIPEND = "STIPEND"
    SALARY_CONTINUED = "SALARY_CONTINUED"
    GIFT = "GIFT"
    OTHER = "OTHER"


class CostOrigin(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    STAY = "stay"


class FindingCode(StrEnum):
    """Highest severity first (compliance-rules.md)."""
    PROHIBITED_FOREIGN_INKIND = "PROHIBITED_FOREIGN_INKIND"
    PROHIBITED_PARTICIPATION = "PROHIBITED_PARTICIPATION"
    PROHIBITED_SOURCE = "PROHIBITED_SOURCE"
    COMPENSATION = "COMPENSATION"
    REVIEW_PAYER_UNKNOWN = "REVIEW_PAYER_UNKNOWN"
    REVIEW_CONTESTED = "REVIEW_CONTESTED"
    INKIND_REPORTABLE = "INKIND_REPORTABLE"
    CAMPAIGN_EXP = "CAMPAIGN_EXP"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    VOL_OK = "VOL_OK"

    @property
    def severity(self) -> int:
        """10 for the most severe code down to 1 for VOL_OK."""
        return len(FindingCode) - list(FindingCode).index(self)


class ReviewAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    CLEAR = "clear"
    ESCALATE = "escalate"


class ReportScope(StrEnum):
    DEPLOYMENT = "deployment"
    STATE = "state"
    PAYER = "payer"
    VOLUNTEER = "volunteer"


class ReportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def enum_column(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint on both databases."""
    return SAEnum(enum_cls, name=name, native_enum=False, create_constraint=True,
                  values_callable=lambda cls: [member.value for member in cls],
                  length=max(len(m.value) for m in enum_cls), validate_strings=True)
