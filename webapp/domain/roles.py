"""Who a user is to the platform. Screens for most roles come in later issues."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"  # the customer who pays for an account
    SUBUSER = "subuser"  # created by a customer, lives in a child account
    ACCOUNTANT = "accountant"  # reads invoices and statements of an account
    SUPPORT = "support"  # platform staff: look into accounts, impersonate
    ADMIN = "admin"  # platform operator: prices, routes, staff

    @property
    def is_staff(self) -> bool:
        return self in (Role.SUPPORT, Role.ADMIN)


CUSTOMER_ROLES = frozenset({Role.OWNER, Role.SUBUSER, Role.ACCOUNTANT})
STAFF_ROLES = frozenset({Role.SUPPORT, Role.ADMIN})
# The platform's notifications sender: a system user (support role, cannot sign in) whose account
# sends the low-balance SMS; its account's spend is the platform's cost. Not listed among staff.
PLATFORM_USERNAME = "platform-notifications"
