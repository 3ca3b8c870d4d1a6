"""The data model, one module per domain. Importing this package registers every table."""

from coordinator.models.accounts import PasswordReset, User, UserSession
from coordinator.models.activity import Event
from coordinator.models.base import Base
from coordinator.models.circles import Circle, Membership
from coordinator.models.claims import Claim
from coordinator.models.drafts import NeedDraft
from coordinator.models.inbound import EarlyReceipt, InboundMessage, PhoneOptOut
from coordinator.models.invitations import ImportBatch, Invitation, JoinRequest, ReopenAnswer, Reopening
from coordinator.models.messages import Message
from coordinator.models.needs import Need, Task
from coordinator.models.operations import SchedulerHeartbeat
from coordinator.models.plans import Plan, PlanDay, PlanQuiet, PlanRule, PlanTreatment
from coordinator.models.sign_in_codes import SignInCode
from coordinator.models.updates import Update, UpdateHeart, UpdateLink, UpdateNote, UpdatePhoto

__all__ = [
    "Base",
    "Circle",
    "Claim",
    "EarlyReceipt",
    "Event",
    "ImportBatch",
    "InboundMessage",
    "Invitation",
    "JoinRequest",
    "Membership",
    "Message",
    "Need",
    "NeedDraft",
    "PasswordReset",
    "PhoneOptOut",
    "Plan",
    "PlanDay",
    "PlanQuiet",
    "PlanRule",
    "PlanTreatment",
    "ReopenAnswer",
    "Reopening",
    "SchedulerHeartbeat",
    "SignInCode",
    "Task",
    "Update",
    "UpdateHeart",
    "UpdateLink",
    "UpdateNote",
    "UpdatePhoto",
    "User",
    "UserSession",
]
