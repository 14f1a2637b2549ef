"""Every URL of the app, as every role and as another account's owner: the allowed set is the
table below, and a page missing from the table fails the suite (so a new page needs a decision).

The world: account A with its owner, an accountant and a subuser (a child account on its own
billing), another customer B ("other"), a support user and an admin; the URLs point at A's
objects (a message, a campaign, a group, an invoice …). "Allowed" means the request got past
the checks (any answer but a refusal); "denied" is 401/403/404 or a redirect to sign in.

GET pages are opened. A POST-only URL is probed without a form token for the roles the table
allows: the guard decides before the token is checked, so getting past it (400: token missing)
changes nothing; for the roles it denies, the POST carries a valid token and must be refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

from sqlalchemy import select

from tests import factories
from tests.conftest import PASSWORD, csrf_token_from
from webapp.domain.pricing import PriceEntry
from webapp.domain.roles import Role
from webapp.extensions import db
from webapp.models import ApiKey, BlockedNumber, ContactGroup, User
from webapp.models.staff import SenderId
from webapp.models.types import utcnow
from webapp.redis_client import get_redis
from webapp.services import (
    accounts,
    blocklist,
    contacts,
    exports_jobs,
    imports,
    payments,
    pricing,
    routes,
    saved_cards,
    smpp_access,
    statements,
    templates,
    webhook_endpoints,
    webhooks,
)
from webapp.services import contracts as contract_service
from webapp.services.processors import CardInfo
from webapp.services.processors.sandbox import SandboxProcessor

ROLES = ("anonymous", "owner", "accountant", "subuser", "other", "support", "admin")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
CUSTOMERS = frozenset({"owner", "subuser", "other", "support", "admin"})  # own-account pages (not accountants)
OWNER = frozenset({"owner"})
BILLING_OF_A = frozenset({"owner", "accountant"})
STAFF = frozenset({"support", "admin"})
ADMIN = frozenset({"admin"})
NOBODY = frozenset()

CONTRACT_DETAILS = {
    "legal_name": "Ana SRL",
    "country": "RO",
    "fiscal_code": "18547290",
    "trade_register": "J12/1/2020",
    "registered_address": "Str. Lungă 1, Cluj",
    "signatory_name": "Ana Pop",
    "signatory_position": "Administrator",
    "contract_address": "Str. Lungă 1, Cluj",
    "contact_name": "Ana Pop",
    "contact_phone": "0722123456",
    "contact_email": "ana@example.com",
    "documents_address": "Str. Lungă 1, Cluj",
    "documents_email": "ana@example.com",
}

# endpoint → who gets past the checks, opening the URL built from A's objects
EXPECTED: dict[str, frozenset[str]] = {
    # public
    "static": EVERYONE,
    "health.healthz": EVERYONE,
    "health.favicon": EVERYONE,
    "auth.login": EVERYONE,
    "auth.forgot_password": EVERYONE,
    "auth.reset_password": EVERYONE,
    "auth.set_language": EVERYONE,
    "payment_pages.webhook": EVERYONE,
    "short_links.follow": EVERYONE,  # a short link in an SMS: whoever has the phone
    "short_links.stop": EVERYONE,
    "payment_pages.sandbox_checkout": EVERYONE,
    # a provider posting a reply: no login, but only with the route's token (404 here; its own tests)
    "inbound_hooks.receive": NOBODY,
    "inbound_hooks.report": NOBODY,
    # the HTTP API answers API keys, not sessions (its own tests); its description is public
    "api.balance": NOBODY,
    "api.send_messages": NOBODY,
    "api.list_messages": NOBODY,
    "api.get_message": NOBODY,
    "api.list_inbound": NOBODY,
    "api.price_preview": NOBODY,
    "api.openapi": EVERYONE,
    # any signed-in user
    "auth.logout": SIGNED_IN,
    "auth.password_expired": SIGNED_IN,
    "account.index": SIGNED_IN,
    "account.preferences": SIGNED_IN,
    "account.quiet_hours": CUSTOMERS,
    "account.change_password": SIGNED_IN,
    "account.sign_out_everywhere": SIGNED_IN,
    "main.dashboard": SIGNED_IN,  # an accountant is sent on to the invoices
    # own-account pages (an accountant sees only billing)
    "account.api_keys": CUSTOMERS,
    "account.create_api_key": CUSTOMERS,
    "send.index": CUSTOMERS,
    "send.counter": CUSTOMERS,
    "send.use_gsm_safe": CUSTOMERS,
    "campaigns.index": CUSTOMERS,
    "campaigns.new": CUSTOMERS,
    "contacts.index": CUSTOMERS,
    "contacts.new_group": CUSTOMERS,
    "contacts.blocklist": CUSTOMERS,
    "contacts.blocklist_import": CUSTOMERS,
    "contacts.blocklist_export": CUSTOMERS,  # each its own account's list
    "templates.index": CUSTOMERS,
    "webhooks.index": CUSTOMERS,
    "webhooks.create": CUSTOMERS,
    "webhooks.replies": CUSTOMERS,
    "webhooks.log": OWNER,  # the endpoint is A's: other accounts' users and staff do not find it
    "webhooks.test": OWNER,
    "webhooks.switch": OWNER,
    "webhooks.callback_secret": CUSTOMERS,  # each its own account's
    "webhooks.remove": OWNER,
    "webhooks.send_again": OWNER,
    "smpp_access.index": CUSTOMERS,
    "smpp_access.create": CUSTOMERS,
    "smpp_access.update": OWNER,  # the credential is A's: other accounts' users and staff do not find it
    "smpp_access.switch": OWNER,
    "smpp_access.password": OWNER,
    "smpp_access.remove": OWNER,
    "smpp_access.sessions": CUSTOMERS,  # each its own account's sessions
    "templates.create": CUSTOMERS,
    "templates.name_form": CUSTOMERS,
    "templates.picker": CUSTOMERS,
    "inbox.index": CUSTOMERS,
    "inbox.export": CUSTOMERS,
    "reports.messages": CUSTOMERS,
    "reports.export": CUSTOMERS,
    "all_reports.index": CUSTOMERS,
    "all_reports.export": CUSTOMERS,
    "sender_ids.index": frozenset({"owner", "subuser", "other"}),
    # Account → Contract: the owner's (another owner opens its own; it has no draft or scan)
    "contracts.index": frozenset({"owner", "other"}),
    "contracts.template_pdf": frozenset({"owner", "other"}),
    "contracts.draft_pdf": OWNER,
    "contracts.upload_scan": frozenset({"owner", "other"}),
    "contracts.scan": OWNER,
    # billing pages of one's own account (accountants too)
    "billing.details": SIGNED_IN,
    "billing.invoices": SIGNED_IN,
    "payment_pages.buy": SIGNED_IN,
    "payment_pages.buy_quote": SIGNED_IN,
    "payment_pages.buy_now": SIGNED_IN,
    "notifications.low_balance": SIGNED_IN,
    "notifications.auto_top_up": SIGNED_IN,
    "statements.index": SIGNED_IN,
    "statements.make": SIGNED_IN,
    # A's billing objects
    "billing.invoice_pdf": BILLING_OF_A,
    "payment_pages.payment": BILLING_OF_A,
    "payment_pages.proforma_pdf": BILLING_OF_A,
    "payment_pages.upload_proof": BILLING_OF_A,
    "statements.pdf": BILLING_OF_A,
    "statements.xlsx": BILLING_OF_A,
    "notifications.forget_card": OWNER,
    # A's other objects
    "account.revoke_api_key": OWNER,
    "campaigns.show": OWNER,
    "campaigns.progress": OWNER,
    "campaigns.control": OWNER,
    "campaigns.back": OWNER,
    "campaigns.columns": OWNER,
    "campaigns.confirm": OWNER,
    "campaigns.counter": OWNER,
    "campaigns.first_row": OWNER,
    "campaigns.options": OWNER,
    "contacts.group": OWNER,
    "contacts.clean": OWNER,
    "contacts.add_contact": OWNER,
    "contacts.edit_contact": OWNER,
    "contacts.delete_contact": OWNER,
    "contacts.delete_group": OWNER,
    "contacts.export": OWNER,
    "contacts.import_into": OWNER,
    "contacts.unblock": OWNER,
    "contacts.share": OWNER,
    "templates.share": OWNER,
    "imports.show": OWNER,
    "imports.back": OWNER,
    "imports.cancel": OWNER,
    "imports.first_row": OWNER,
    "imports.invalid_rows": OWNER,
    "imports.mapping": OWNER,
    "imports.save": OWNER,
    "reports.message": OWNER,
    "send.use_template": OWNER,
    "templates.delete": OWNER,
    "inbox.thread": OWNER,  # the number A wrote to: another account has no thread of it (404)
    "inbox.reply": OWNER,
    "reports.export_status": OWNER,
    "reports.export_download": OWNER,  # the export A's owner asked for
    # the owner's own management pages
    "account.users": OWNER | {"other"},
    "account.user_active": OWNER,
    "subusers.index": OWNER | {"other"},
    "subusers.new": OWNER | {"other"},
    "subusers.edit": OWNER,
    "subusers.active": OWNER,
    "subusers.password": OWNER,
    "subusers.transfer": OWNER,
    # staff
    "support.index": STAFF,
    "support.account": STAFF,
    "support.audit_log": STAFF,
    "support.impersonate": STAFF,
    "support.return_": STAFF,
    "staff.blocklist": STAFF,
    "staff.unblock": STAFF,
    "staff.blocklist_export": STAFF,
    "staff.payments_to_check": STAFF,
    "staff.confirm_payment": STAFF,
    "staff.reject_payment": STAFF,
    "staff.refund_payment": STAFF,
    "staff.payment_proof": STAFF,
    "staff.smpp_sessions": STAFF,
    "staff_receipts.index": STAFF,
    "staff_receipts.replies": STAFF,
    "staff_tasks.sender_id_requests": STAFF,
    "staff_tasks.decide_sender_id": STAFF,
    "staff_tasks.adjust_credit": STAFF,
    "staff_contracts.index": STAFF,
    "staff_contracts.show": STAFF,
    "staff_contracts.version_pdf": STAFF,
    "staff_contracts.ask_correction": STAFF,
    "staff_contracts.mark_sent": STAFF,
    "staff_contracts.mark_signed": STAFF,
    "staff_contracts.scan": STAFF,
    "staff_contracts.policy": ADMIN,  # the operator's setting
    # operators
    "admin.index": ADMIN,
    "admin.accounts": ADMIN,
    "admin.account_status": ADMIN,
    "admin.prices": ADMIN,
    "admin.set_price": ADMIN,
    "admin.upload_prices": ADMIN,
    "admin.routes": ADMIN,
    "admin.route_active": ADMIN,
    "admin.test_route": ADMIN,
    "admin.routing": ADMIN,
    "admin.set_routing": ADMIN,
    "admin.route_gateway": ADMIN,  # opened for an HTTP gateway route (404 for others)
    "admin.staff": ADMIN,
    "admin.staff_active": ADMIN,
    "admin.own_prices": ADMIN,
    "admin.account_prices": ADMIN,
    "admin.upload_account_prices": ADMIN,
    "admin.set_account_price": ADMIN,
    "admin.account_prices_default": ADMIN,
}


def build_world(app, make_user) -> dict:
    """A's users and objects, B, support and admin; returns the ids URLs are built from."""
    owner_id = make_user("ana", credit="100")
    make_user("bob", credit="100")
    with app.app_context():
        s = db.session
        ana = s.get(User, owner_id)
        pricing.replace_entries(s, None, [PriceEntry("RO", Decimal("0.0350"))])
        route = routes.add_route(s, "sim", "simulator://?delivered=1")
        gateway = routes.add_route(s, "gw", "http://127.0.0.1:9?tps=1")
        accountant = accounts.add_accountant(
            s, ana, username="contabil", email="c@example.com", full_name="", password=PASSWORD
        )
        sub = factories.subuser(s, ana, "casa")
        support = accounts.create_account(s, None, username="suport", password=PASSWORD, role=Role.SUPPORT)
        admin = accounts.create_account(s, None, username="admin", password=PASSWORD, role=Role.ADMIN)
        accountant.password_changed_at = utcnow()
        message = factories.message(s, ana, "0722123456")
        with_stop = factories.message(s, ana, "0722123457", text="Dezabonare: #stop")  # a #stop short link
        campaign = factories.campaign(
            s, ana, [{"phone": "+40722000001", "first_name": "Ion"}], group="Clienți", text="Salut #FirstName"
        )
        group_id = campaign.group_ids[0]
        contact = contacts.contacts_page(s, s.get(ContactGroup, group_id))[0][0]
        imp = imports.start(
            s,
            ana,
            app.config["SETTINGS"].upload_dir,
            "list.csv",
            BytesIO(b"phone,name\n0722000002,Ana\n"),
            group_name="Noi",
        )
        with open(imports.invalid_path(imp), "wb") as invalid:  # as if the review had found invalid rows
            invalid.write(b"PK")
        template = templates.create_template(s, ana, "Salut", "Salut!")
        hook = webhooks.add_endpoint(s, ana, "http://127.0.0.1:9/hook", ["message.reply"], allow_private=True)
        hook_delivery = webhook_endpoints.send_test(s, hook)
        accounts.create_api_key(s, ana, label="shop")
        smpp_credential = smpp_access.create(s, ana, system_id="ana").credential
        blocklist.add_numbers(s, ana, ["0722000003"], account_id=ana.account_id)
        blocklist.add_numbers(s, support, ["0722000004"], account_id=None)
        payments.save_profile(
            s,
            ana,
            company_name="Ana SRL",
            is_business=False,
            fiscal_code="",
            trade_register="",
            address="Str. Lungă 1",
            city="Cluj",
            country="RO",
            invoice_email="ana@example.com",
        )
        payment = payments.start(s, ana, "transfer", "30", Decimal("0.21"))
        proof = f"{app.config['SETTINGS'].upload_dir}/proof-matrix.pdf"
        open(proof, "wb").write(b"%PDF-1.4")
        payment.proof_path, payment.proof_filename = proof, "proof.pdf"
        paid = payments.start(s, ana, "transfer", "30", Decimal("0.21"))
        payments.credit(s, paid.id, "bank-1")
        invoice_id = payments.invoices.of_payment(s, paid).id
        card = saved_cards.save_card(s, ana.account_id, "sandbox", CardInfo("pm_sbx_4242_x", "fp", "Visa •••• 4242"))
        statement = statements.make(s, ana.account_id, date(2026, 1, 1), date(2026, 2, 1))
        sender = SenderId(account_id=ana.account_id, sender="ANA", reason="ours", requested_by_id=ana.id)
        s.add(sender)
        s.flush()
        contract = contract_service.apply(s, ana, dict(CONTRACT_DETAILS))
        scan = f"{app.config['SETTINGS'].upload_dir}/contract-matrix.pdf"
        open(scan, "wb").write(b"%PDF-1.4")
        contract.scan_path, contract.scan_filename, contract.status = scan, "signed.pdf", "sent"
        checkout = SandboxProcessor(app.config["SETTINGS"]).start_checkout(
            payment, success_url="http://x/ok", cancel_url="http://x/no", save_card=False
        )
        s.commit()
        made = exports_jobs.ask(
            get_redis(),
            app.config["SETTINGS"].upload_dir,
            ana,
            "messages",
            {},
            "csv",
            ";",
            "en",
            message.id,
            1,
            "messages.csv",
        )
        exports_jobs.make(s, app.config["SETTINGS"].upload_dir, ana.account_id, made.id, lambda rows: None, {})
        return {
            "export_id": made.id,
            "owner_id": ana.id,
            "account_id": ana.account_id,
            "accountant_id": accountant.id,
            "sub_account_id": sub.account.id,
            "support_id": support.id,
            "admin_id": admin.id,
            "route_id": route.id,
            "gateway_route_id": gateway.id,
            "message_id": message.id,
            "group_id": group_id,
            "contact_id": contact.id,
            "campaign_id": campaign.id,
            "import_id": imp.id,
            "template_id": template.id,
            "endpoint_id": hook.id,
            "delivery_id": hook_delivery.id,
            "credential_id": smpp_credential.id,
            "key_id": s.scalar(select(ApiKey.id).where(ApiKey.user_id == ana.id)),
            "entry_id": s.scalar(select(BlockedNumber.id).where(BlockedNumber.account_id == ana.account_id)),
            "global_entry_id": s.scalar(select(BlockedNumber.id).where(BlockedNumber.account_id.is_(None))),
            "payment_id": payment.id,
            "reference": payment.reference,
            "invoice_id": invoice_id,
            "card_id": card.id,
            "statement_id": statement.id,
            "request_id": sender.id,
            "contract_id": contract.id,
            "checkout_token": checkout.url.rsplit("/", 1)[1],
            "link_code": with_stop.text.rsplit("/", 1)[1],
        }


def url_values(endpoint: str, arguments: set[str], world: dict) -> dict:
    values = {
        "key_id": world["key_id"],
        "card_id": world["card_id"],
        "invoice_id": world["invoice_id"],
        "reference": world["reference"],
        "statement_id": world["statement_id"],
        "campaign_id": world["campaign_id"],
        "action": "pause",
        "group_id": world["group_id"],
        "contact_id": world["contact_id"],
        "kind": "xlsx",
        "entry_id": world["global_entry_id"] if endpoint.startswith("staff.") else world["entry_id"],
        "import_id": world["import_id"],
        "message_id": world["message_id"],
        "export_id": world["export_id"],
        "template_id": world["template_id"],
        "endpoint_id": world["endpoint_id"],
        "delivery_id": world["delivery_id"],
        "credential_id": world["credential_id"],
        "number": "+40722123456",  # A's message went to it
        "token": world["checkout_token"] if endpoint == "payment_pages.sandbox_checkout" else "not-a-token",
        "processor": "sandbox",
        "payment_id": world["payment_id"],
        "request_id": world["request_id"],
        "contract_id": world["contract_id"],
        "version": 1,
        "language": "en",
        "decision": "approve",
        "route_id": world["gateway_route_id"] if endpoint == "admin.route_gateway" else world["route_id"],
        "filename": "app.css",
        "code": world["link_code"],
        "account_id": world["sub_account_id"] if endpoint.startswith("subusers.") else world["account_id"],
        "user_id": {"account.user_active": world["accountant_id"], "admin.staff_active": world["support_id"]}.get(
            endpoint, world["owner_id"]
        ),
    }
    if endpoint == "campaigns.new":
        values["kind"] = "batch"
    return {name: values[name] for name in arguments}


USERNAMES = {
    "owner": "ana",
    "accountant": "contabil",
    "subuser": "casa",
    "other": "bob",
    "support": "suport",
    "admin": "admin",
}


def denied(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code in (301, 302, 303) and "/login" in (response.location or "")


def test_every_url_as_every_role(app, make_user):
    world = build_world(app, make_user)
    rules = [rule for rule in app.url_map.iter_rules()]
    missing = sorted({rule.endpoint for rule in rules} - set(EXPECTED))
    assert not missing, f"pages without an access decision in EXPECTED: {missing}"
    wrong = []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            page = client.get("/login")
            signed = client.post(
                "/login",
                data={"username": USERNAMES[role], "password": PASSWORD, "csrf_token": csrf_token_from(page.text)},
            )
            assert signed.status_code == 302, role
        token = csrf_token_from(client.get("/login" if role == "anonymous" else "/account/").text)
        for rule in sorted(rules, key=lambda r: r.rule):
            if rule.endpoint == "auth.logout":
                continue  # probed last
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **url_values(rule.endpoint, set(rule.arguments), world))
            allowed = role in EXPECTED[rule.endpoint]
            if "GET" in rule.methods:
                response = client.get(url)
            else:
                response = client.post(url, data={} if allowed else {"csrf_token": token})
            if denied(response) == allowed:
                wrong.append(
                    f"{role:10} {'GET' if 'GET' in rule.methods else 'POST':4} {url:55} "
                    f"{response.status_code} (expected {'allowed' if allowed else 'denied'})"
                )
        logout = client.post("/logout", data={})
        if denied(logout) == (role in EXPECTED["auth.logout"]):
            wrong.append(f"{role:10} POST /logout {logout.status_code}")
    assert not wrong, "\n" + "\n".join(wrong)
