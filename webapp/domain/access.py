"""Who may open what: the one place where roles meet pages. Pure Python: the request guard
(webapp/blueprints/__init__.py) asks `may()` for every signed-in request; objects of other
accounts are refused further in, by the services (404).

Rules, by the page's blueprint (and a few endpoints):
- staff pages (support console, staff tasks, payments, global blocklist, unmatched receipts):
  support and admin;
- the operator console (and the contracts' policy): admin;
- Account → Contract: the account's owner;
- Account → Subusers and Account → Users: the account's owner;
- sender IDs: owners and subusers (staff have no sender of their own);
- an accountant: only the billing pages, reading (not changing) billing details and
  notifications; buying credit and making statements are allowed;
- a subuser on its parent's credit buys no credit and has no automatic top-up;
- every other page: any signed-in user, within its own account."""

from __future__ import annotations

from webapp.domain.roles import Role

STAFF = frozenset({Role.SUPPORT, Role.ADMIN})
BLUEPRINT_ROLES: dict[str, frozenset[Role]] = {
    "staff": STAFF,
    "support": STAFF,
    "staff_tasks": STAFF,
    "staff_receipts": STAFF,
    "admin": frozenset({Role.ADMIN}),
    "subusers": frozenset({Role.OWNER}),
    "sender_ids": frozenset({Role.OWNER, Role.SUBUSER}),
    "contracts": frozenset({Role.OWNER}),
    "staff_contracts": STAFF,
}
ENDPOINT_ROLES: dict[str, frozenset[Role]] = {
    "account.users": frozenset({Role.OWNER}),
    "account.user_active": frozenset({Role.OWNER}),
    "staff_contracts.policy": frozenset({Role.ADMIN}),
}
ACCOUNTANT_BLUEPRINTS = frozenset({"billing", "payment_pages", "statements", "notifications"})
ACCOUNTANT_ENDPOINTS = frozenset(
    {
        "auth.logout",
        "auth.password_expired",
        "account.index",
        "account.preferences",
        "account.change_password",
        "account.sign_out_everywhere",
    }
)
ACCOUNTANT_READ_ONLY = frozenset(
    {"billing.details", "notifications.low_balance", "notifications.auto_top_up", "notifications.forget_card"}
)
PARENT_CREDIT_FORBIDDEN = frozenset(
    {
        "payment_pages.buy",
        "payment_pages.buy_quote",
        "payment_pages.buy_now",
        "notifications.auto_top_up",
        "notifications.forget_card",
    }
)
READING = frozenset({"GET", "HEAD", "OPTIONS"})


def may(role: Role, blueprint: str | None, endpoint: str, method: str, *, on_parent_credit: bool = False) -> bool:
    """Whether a signed-in user of `role` may open `endpoint` with `method`."""
    allowed = ENDPOINT_ROLES.get(endpoint) or BLUEPRINT_ROLES.get(blueprint or "")
    if allowed is not None and role not in allowed:
        return False
    if role is Role.ACCOUNTANT:
        if blueprint not in ACCOUNTANT_BLUEPRINTS and endpoint not in ACCOUNTANT_ENDPOINTS:
            return False
        if endpoint in ACCOUNTANT_READ_ONLY and method not in READING:
            return False
    if on_parent_credit and endpoint in PARENT_CREDIT_FORBIDDEN:
        return False
    return True
