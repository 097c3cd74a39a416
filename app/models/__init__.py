"""All models, importable from ``app.models``."""
from .accounts import ApiToken, LoginThrottle, User, UserSession
from .audit import GENESIS_HASH, LEGACY_KEY_ID, AuditEvent, AuditHead
from .compliance import Finding, FindingReview
from .deployments import Deployment, Placement, Signup, Volunteer
from .enums import *  # noqa: F401,F403 — the vocabularies travel with the models
from .housing import Accommodation, Stay
from .ledger import Cost, ExchangeRate, Payer
from .notifications import Notification
from .reports import Report
from .staff import StaffMembership
from .submissions import FormSubmission

__all__ = ["Accommodation", "ApiToken", "AuditEvent", "AuditHead", "Cost", "Deployment",
           "ExchangeRate", "Finding", "FindingReview", "FormSubmission", "GENESIS_HASH",
           "LEGACY_KEY_ID", "LoginThrottle", "Notification", "Payer", "Placement", "Report",
           "Signup", "StaffMembership", "Stay", "User", "UserSession", "Volunteer"]
