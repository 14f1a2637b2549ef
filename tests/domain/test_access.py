"""The access policy, table-driven: role × page × method."""

import pytest

from webapp.domain.access import may
from webapp.domain.roles import Role

O, S, A, SUP, ADM = Role.OWNER, Role.SUBUSER, Role.ACCOUNTANT, Role.SUPPORT, Role.ADMIN


@pytest.mark.parametrize(
    "blueprint, endpoint, method, allowed",
    [
        ("staff", "staff.payments_to_check", "GET", {SUP, ADM}),
        ("support", "support.index", "GET", {SUP, ADM}),
        ("staff_tasks", "staff_tasks.adjust_credit", "POST", {SUP, ADM}),
        ("staff_receipts", "staff_receipts.index", "GET", {SUP, ADM}),
        ("admin", "admin.routes", "GET", {ADM}),
        ("subusers", "subusers.index", "GET", {O}),
        ("sender_ids", "sender_ids.index", "GET", {O, S}),
        ("account", "account.users", "GET", {O}),
        ("account", "account.api_keys", "GET", {O, S, SUP, ADM}),
        ("account", "account.index", "GET", {O, S, A, SUP, ADM}),
        ("billing", "billing.details", "GET", {O, S, A, SUP, ADM}),
        ("billing", "billing.details", "POST", {O, S, SUP, ADM}),  # an accountant reads them only
        ("notifications", "notifications.auto_top_up", "POST", {O, S, SUP, ADM}),
        ("payment_pages", "payment_pages.buy_now", "POST", {O, S, A, SUP, ADM}),
        ("statements", "statements.make", "POST", {O, S, A, SUP, ADM}),
        ("send", "send.index", "GET", {O, S, SUP, ADM}),
        ("campaigns", "campaigns.index", "GET", {O, S, SUP, ADM}),
        ("main", "main.dashboard", "GET", {O, S, SUP, ADM}),
    ],
)
def test_who_may_open_what(blueprint, endpoint, method, allowed):
    assert {role for role in Role if may(role, blueprint, endpoint, method)} == allowed


@pytest.mark.parametrize(
    "endpoint, parent_credit, allowed",
    [
        ("payment_pages.buy", True, False),
        ("payment_pages.buy_now", True, False),
        ("notifications.auto_top_up", True, False),
        ("payment_pages.buy", False, True),
        ("billing.invoices", True, True),
        ("statements.index", True, True),
    ],
)
def test_a_subuser_on_its_parents_credit_buys_none(endpoint, parent_credit, allowed):
    blueprint = endpoint.split(".")[0]
    assert may(Role.SUBUSER, blueprint, endpoint, "GET", on_parent_credit=parent_credit) is allowed
