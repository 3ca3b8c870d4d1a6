"""The data model, one module per domain. Importing this package registers every table."""

from coordinator.models.accounts import PasswordReset, User, UserSession
from coordinator.models.activity import Event
from coordinator.models.base import Base
from coordinator.models.circles import Circle, Membership

__all__ = ["Base", "Circle", "Event", "Membership", "PasswordReset", "User", "UserSession"]
