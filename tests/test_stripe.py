"""The Stripe Checkout processor against a local Stripe (tests/stripe_server.py), through the
official library, on the real database: what Checkout is asked for, webhooks signed the way
Stripe signs them and applied once however often they arrive, the first card held for review,
off-session charges of a saved card (idempotent), and Stripe being unreachable."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.stripe_server import StripeServer
from webapp import create_app
from webapp.domain import billing
from webapp.extensions import db
from webapp.models import Account, Invoice, LedgerEntry, Payment, SavedCard, User
from webapp.services import ledger, payment_review, payments, saved_cards
from webapp.services.processors import FAILED, PAID, InvalidWebhook, ProcessorError, processor_for, signing
from webapp.services.processors.stripe_checkout import EXPIRED_MESSAGE, StripeProcessor, card_label, minor_units

RATE = D("0.21")
SUCCESS = "https://portal.example/billing/paid?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://portal.example/billing/buy"
VISA, MASTERCARD, FAILS_LATER = "4242424242424242", "5555555555554444", "4000000000000341"
DETAILS = {
    "company_name": "Teatrul Mic SRL",
    "is_business": True,
    "fiscal_code": "RO14399840",
    "trade_register": "J40/1234/2020",
    "address": "Str. Constantin Mille 16",
    "city": "București",
    "country": "RO",
    "invoice_email": "contabil@teatrulmic.ro",
}


@pytest.fixture(scope="module")
def stripe_server():
    server = StripeServer(api_key="sk_test_x", webhook_secret="whsec_x").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stripe_app(app, settings, stripe_server):
    """The application configured for Stripe, its API base pointing at the local Stripe."""
    configured = create_app(
        replace(
            settings,
            payment_processor="stripe",
            stripe_secret_key="sk_test_x",
            stripe_webhook_secret="whsec_x",
            stripe_api_base=stripe_server.url,
        )
    )
    configured.config.update(TESTING=True)
    return configured


@pytest.fixture
def stripe_api(stripe_server):
    stripe_server.reset()
    return stripe_server


@pytest.fixture
def processor(stripe_app) -> StripeProcessor:
    chosen = processor_for(stripe_app.config["SETTINGS"])
    assert isinstance(chosen, StripeProcessor)
    return chosen


@pytest.fixture
def ana(stripe_app, make_user):
    user_id = make_user("ana", credit="0")
    with stripe_app.app_context():
        payments.save_profile(db.session, db.session.get(User, user_id), **DETAILS)
        db.session.commit()
    return user_id


@pytest.fixture
def shop(stripe_app, stripe_api, processor, ana):
    """The customer's side: start a Stripe payment, pay on the hosted page, receive webhooks."""
    client = stripe_app.test_client()

    def buy(amount="50", save_card=False):
        with stripe_app.app_context():
            payment = payments.start(
                db.session, db.session.get(User, ana), billing.CARD, amount, RATE, processor="stripe"
            )
            checkout = processor.start_checkout(payment, success_url=SUCCESS, cancel_url=CANCEL, save_card=save_card)
            db.session.commit()
            return SimpleNamespace(
                reference=payment.reference,
                id=payment.id,
                url=checkout.url,
                checkout=checkout,
                session=checkout.url.rsplit("/", 1)[1],
            )

    def deliver(body, headers):
        return client.post("/billing/webhooks/stripe", data=body, headers=headers, content_type="application/json")

    def pay(amount="50", card=VISA, save_card=False, times=1):
        bought = buy(amount, save_card)
        session = stripe_api.pay(bought.session, card)
        event = stripe_api.event("checkout.session.completed", session)
        bought.answers = [deliver(*event) for _ in range(times)]
        bought.intent, bought.paid = session["payment_intent"], session
        return bought

    def state(reference=None):
        with stripe_app.app_context():
            payment = payments.by_reference(db.session, reference) if reference else None
            return SimpleNamespace(
                payment=payment
                and SimpleNamespace(
                    status=payment.status,
                    processor_ref=payment.processor_ref,
                    card_fingerprint=payment.card_fingerprint,
                    failure=payment.failure,
                ),
                balance=db.session.get(Account, db.session.get(User, ana).account_id).balance,
                topups=db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "topup")),
                invoices=db.session.scalar(select(func.count(Invoice.id))),
                cards=[
                    (c.token, c.customer_ref, c.fingerprint, c.label) for c in db.session.scalars(select(SavedCard))
                ],
                ledger_ok=ledger.verify(db.session) == [],
            )

    def approve(reference):
        with stripe_app.app_context():
            assert payments.credit(db.session, payments.by_reference(db.session, reference).id, reviewed=True)
            db.session.commit()

    return SimpleNamespace(buy=buy, pay=pay, deliver=deliver, state=state, approve=approve, user_id=ana)


def fingerprint(server: StripeServer, intent_id: str) -> str:
    return server.methods[server.intents[intent_id]["payment_method"]]["card"]["fingerprint"]


# -- money and labels -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount, currency, units",
    [
        (D("60.50"), "eur", 6050),
        (D("12.11"), "EUR", 1211),
        (D("10.0000"), "ron", 1000),
        (D("0.5"), "usd", 50),
        (D("1500"), "JPY", 1500),
    ],
)
def test_amounts_go_to_stripe_in_exact_minor_units(amount, currency, units):
    assert minor_units(amount, currency) == units and isinstance(minor_units(amount, currency), int)


@pytest.mark.parametrize("amount, currency", [(D("10.005"), "eur"), (D("100.5"), "jpy")])
def test_an_amount_that_is_not_whole_cents_is_refused_not_rounded(amount, currency):
    with pytest.raises(ValueError):
        minor_units(amount, currency)


@pytest.mark.parametrize(
    "brand, last4, label",
    [
        ("visa", "4242", "Visa •••• 4242"),
        ("mastercard", "4444", "Mastercard •••• 4444"),
        ("amex", "0005", "American Express •••• 0005"),
        ("cartes_bancaires", "1234", "Cartes Bancaires •••• 1234"),
        ("new_brand", "9999", "New Brand •••• 9999"),
    ],
)
def test_card_labels(brand, last4, label):
    assert card_label(brand, last4) == label


# -- checkout ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount, save_card, unit_amount",
    [
        ("50", False, "6050"),  # 50.00 + 21% VAT
        ("10.01", True, "1211"),  # 10.01 + 2.10
        ("33.33", False, "4033"),  # 33.33 + 7.00
    ],
)
def test_the_checkout_session_asked_of_stripe(shop, stripe_api, amount, save_card, unit_amount):
    bought = shop.buy(amount, save_card=save_card)
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    sent = call.params
    assert bought.checkout.processor_ref is None
    assert bought.url == stripe_api.sessions[bought.session]["url"] and bought.url.startswith(stripe_api.url)
    assert call.headers["authorization"] == "Bearer sk_test_x"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent["mode"] == "payment" and sent["payment_method_types"] == ["card"]
    assert sent["line_items"] == [
        {
            "quantity": "1",
            "price_data": {"currency": "eur", "unit_amount": unit_amount, "product_data": {"name": "SMS credit"}},
        }
    ]
    assert sent["client_reference_id"] == bought.reference
    assert sent["metadata"] == {"reference": bought.reference, "save_card": "true" if save_card else "false"}
    assert (sent["success_url"], sent["cancel_url"]) == (SUCCESS, CANCEL)
    assert sent["payment_intent_data"]["metadata"] == {"reference": bought.reference}
    if save_card:
        assert sent["customer_creation"] == "always"
        assert sent["payment_intent_data"]["setup_future_usage"] == "off_session"
    else:
        assert "customer_creation" not in sent and "setup_future_usage" not in sent["payment_intent_data"]
    assert shop.state(bought.reference).payment.status == payments.PENDING


# -- webhooks ---------------------------------------------------------------------------------
def test_first_card_payment_waits_for_review_even_when_delivered_twice(shop, stripe_api):
    first = shop.pay("50", VISA, times=2)
    assert [a.status_code for a in first.answers] == [200, 200]
    assert [a.json["status"] for a in first.answers] == ["review", "review"]
    state = shop.state(first.reference)
    assert state.payment.processor_ref == first.intent
    assert state.payment.card_fingerprint == fingerprint(stripe_api, first.intent)
    assert (state.balance, state.topups, state.invoices) == (D("0"), 0, 0)
    [retrieve, _] = stripe_api.calls("GET", f"/v1/payment_intents/{first.intent}")
    assert retrieve.params == {"expand": ["payment_method"]}


def test_a_paid_session_is_credited_once_however_often_stripe_delivers_it(shop, stripe_api):
    first = shop.pay("50", VISA)
    shop.approve(first.reference)  # support reviewed the first card payment
    second = shop.pay("30", VISA, times=3)  # the same card: credited at once
    assert [a.json["status"] for a in second.answers] == ["credited"] * 3
    state = shop.state(second.reference)
    assert state.payment.processor_ref == second.intent
    assert (state.balance, state.topups, state.invoices, state.ledger_ok) == (D("80"), 2, 2, True)
    other = shop.pay("20", MASTERCARD)  # another card waits for review again
    assert other.answers[0].json["status"] == "review"
    assert shop.state().balance == D("80")


def test_a_card_the_customer_keeps_is_saved_once_with_its_stripe_ids(shop, stripe_api):
    bought = shop.pay("50", VISA, save_card=True, times=2)
    intent = stripe_api.intents[bought.intent]
    assert intent["setup_future_usage"] == "off_session" and intent["customer"].startswith("cus_")
    assert shop.state().cards == [
        (intent["payment_method"], intent["customer"], fingerprint(stripe_api, bought.intent), "Visa •••• 4242")
    ]


def _tampered(server, body, headers):
    return body.replace(b'"amount_total"', b'"amount_totaL"'), headers


@pytest.mark.parametrize(
    "case, forge",
    [
        ("wrong secret", lambda server, obj: server.event("checkout.session.completed", obj, secret="whsec_other")),
        ("tampered body", lambda server, obj: _tampered(server, *server.event("checkout.session.completed", obj))),
        ("no signature", lambda server, obj: (server.event("checkout.session.completed", obj)[0], {})),
        (
            "too old",
            lambda server, obj: server.event("checkout.session.completed", obj, timestamp=int(time.time()) - 600),
        ),
        (
            "garbage header",
            lambda server, obj: (server.event("checkout.session.completed", obj)[0], {"Stripe-Signature": "nonsense"}),
        ),
        (
            "sandbox header",
            lambda server, obj: (
                server.event("checkout.session.completed", obj)[0],
                {"Sandbox-Signature": server.event("x", obj)[1]["Stripe-Signature"]},
            ),
        ),
    ],
)
def test_a_webhook_not_signed_by_stripe_is_refused_and_changes_nothing(shop, stripe_api, case, forge):
    bought = shop.buy("50")
    session = stripe_api.pay(bought.session, VISA)
    answer = shop.deliver(*forge(stripe_api, session))
    assert answer.status_code == 400, case
    state = shop.state(bought.reference)
    assert (state.payment.status, state.payment.processor_ref, state.topups, state.invoices) == (
        payments.PENDING,
        None,
        0,
        0,
    )
    assert stripe_api.calls("GET", f"/v1/payment_intents/{session['payment_intent']}") == []


def test_a_webhook_with_a_valid_signature_but_not_json_is_refused(processor):
    body = b"not json at all"
    with pytest.raises(InvalidWebhook):
        processor.parse_webhook(body, {"Stripe-Signature": signing.sign(body, "whsec_x")})


@pytest.mark.parametrize(
    "steps, status",
    [
        (["expire"], payments.DECLINED),
        (["pay_async", "completed", "async_failed"], payments.DECLINED),
        (["pay_async", "completed"], payments.PENDING),  # completed but not yet paid
        (["pay_async", "completed", "async_succeeded"], payments.REVIEW),  # a first card payment
    ],
)
def test_session_outcomes(shop, stripe_api, steps, status):
    bought = shop.buy("50")
    for step in steps:
        if step == "expire":
            body, headers = stripe_api.event("checkout.session.expired", stripe_api.expire(bought.session))
        elif step == "pay_async":
            stripe_api.pay(bought.session, VISA, asynchronous=True)
            continue
        elif step == "completed":
            body, headers = stripe_api.event("checkout.session.completed", stripe_api.sessions[bought.session])
        else:
            succeeded = step == "async_succeeded"
            body, headers = stripe_api.event(
                f"checkout.session.async_payment_{'succeeded' if succeeded else 'failed'}",
                stripe_api.settle(bought.session, succeeded),
            )
        for _ in range(2):  # every event delivered twice
            assert shop.deliver(body, headers).status_code == 200
    state = shop.state(bought.reference)
    assert state.payment.status == status
    assert (state.topups, state.invoices) == (0, 0)
    if steps == ["expire"]:
        assert state.payment.failure == EXPIRED_MESSAGE


def test_events_we_do_not_act_on_are_answered_and_ignored(shop, stripe_api):
    bought = shop.buy("50")
    session = stripe_api.pay(bought.session, VISA)
    foreign = {**session, "metadata": {}, "client_reference_id": None}
    for kind, obj in [
        ("customer.created", {"id": "cus_1", "object": "customer"}),
        ("payment_intent.succeeded", stripe_api.intents[session["payment_intent"]]),  # Checkout's own
        ("checkout.session.completed", foreign),
    ]:  # not ours
        answer = shop.deliver(*stripe_api.event(kind, obj))
        assert (answer.status_code, answer.json) == (200, {"ignored": True}), kind
    assert shop.state(bought.reference).payment.status == payments.PENDING


def test_a_session_for_a_payment_we_do_not_know_is_answered_404(shop, stripe_api):
    bought = shop.buy("50")
    session = {**stripe_api.pay(bought.session, VISA), "metadata": {"reference": "SMSNOPE"}}
    assert shop.deliver(*stripe_api.event("checkout.session.completed", session)).status_code == 404


# -- automatic top-ups: off-session charges of the saved card ---------------------------------
def _automatic(stripe_app, user_id, amount="10"):
    with stripe_app.app_context():
        account_id = db.session.get(User, user_id).account_id
        payment = payments.new_payment(
            db.session, account_id, None, billing.CARD, D(amount), RATE, "stripe", automatic=True
        )
        db.session.commit()
        return payment.id


def _charge(stripe_app, processor, payment_id, apply=True):
    with stripe_app.app_context():
        payment = db.session.get(Payment, payment_id)
        event = processor.charge_saved_card(payment, saved_cards.saved_card_of(db.session, payment.account_id))
        if apply:
            payments.apply_event(db.session, event, processor="stripe")
        db.session.commit()
        return event


def test_an_automatic_top_up_charges_the_saved_card_off_session(shop, stripe_app, stripe_api, processor):
    first = shop.pay("50", VISA, save_card=True)
    shop.approve(first.reference)
    payment_id = _automatic(stripe_app, shop.user_id, "10")
    event = _charge(stripe_app, processor, payment_id)
    [call] = stripe_api.calls("POST", "/v1/payment_intents")
    saved = stripe_api.intents[first.intent]
    with stripe_app.app_context():
        reference = db.session.get(Payment, payment_id).reference
    assert call.params == {
        "amount": "1210",
        "currency": "eur",
        "customer": saved["customer"],
        "payment_method": saved["payment_method"],
        "off_session": "true",
        "confirm": "true",
        "payment_method_types": ["card"],
        "description": f"SMS credit {reference}",
        "metadata": {"reference": reference, "automatic": "true"},
    }
    assert call.headers["idempotency-key"] == f"smsportal-charge-{reference}"
    assert event.outcome == PAID and event.processor_ref in stripe_api.intents and event.payment_reference == reference
    assert event.card.fingerprint == fingerprint(stripe_api, first.intent)
    state = shop.state(reference)
    assert (state.payment.status, state.balance, state.topups, state.invoices) == (payments.CREDITED, D("60"), 2, 2)


def test_a_declined_off_session_charge_is_a_failed_event(shop, stripe_app, stripe_api, processor):
    first = shop.pay("50", FAILS_LATER, save_card=True)  # pays at checkout, declines when charged again
    shop.approve(first.reference)
    payment_id = _automatic(stripe_app, shop.user_id, "10")
    event = _charge(stripe_app, processor, payment_id)
    assert event.outcome == FAILED and event.failure == "Your card was declined."
    assert stripe_api.intents[event.processor_ref]["status"] == "requires_payment_method"
    with stripe_app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert (payment.status, payment.failure) == (payments.DECLINED, "Your card was declined.")
    assert shop.state().balance == D("50")


def test_a_retried_charge_never_charges_twice(shop, stripe_app, stripe_api, processor):
    shop.approve(shop.pay("50", VISA, save_card=True).reference)
    payment_id = _automatic(stripe_app, shop.user_id, "10")
    stripe_api.fail_next(500)  # Stripe fails once: the library retries, same key
    first = _charge(stripe_app, processor, payment_id, apply=False)
    again = _charge(stripe_app, processor, payment_id)  # the job runs again
    calls = stripe_api.calls("POST", "/v1/payment_intents")
    assert [c.status for c in calls] == [500, 200, 200]
    assert len({c.headers["idempotency-key"] for c in calls}) == 1
    assert first.processor_ref == again.processor_ref
    assert len([i for i in stripe_api.intents.values() if i["metadata"].get("automatic")]) == 1
    assert (shop.state().balance, shop.state().topups) == (D("60"), 2)


def test_a_late_answer_for_an_automatic_charge_settles_it_by_webhook(shop, stripe_app, stripe_api, processor):
    shop.approve(shop.pay("50", VISA, save_card=True).reference)
    payment_id = _automatic(stripe_app, shop.user_id, "10")
    event = _charge(stripe_app, processor, payment_id, apply=False)
    intent = stripe_api.intents[event.processor_ref]
    answers = [shop.deliver(*stripe_api.event("payment_intent.succeeded", intent)) for _ in range(2)]
    assert [a.json["status"] for a in answers] == ["credited", "credited"]
    assert (shop.state().balance, shop.state().topups) == (D("60"), 2)


# -- Stripe unreachable or refusing -------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_stripe_unreachable_is_a_processor_error(shop, stripe_app, stripe_api):
    bought = shop.pay("50", VISA, save_card=True)
    down = StripeProcessor(replace(stripe_app.config["SETTINGS"], stripe_api_base=f"http://127.0.0.1:{_closed_port()}"))
    with stripe_app.app_context():
        payment = payments.by_reference(db.session, bought.reference)
        with pytest.raises(ProcessorError, match=r"^The card processor \(Stripe\) could not be reached\.$"):
            down.start_checkout(payment, success_url=SUCCESS, cancel_url=CANCEL, save_card=False)
        with pytest.raises(ProcessorError):
            down.charge_saved_card(payment, saved_cards.saved_card_of(db.session, payment.account_id))
    body, headers = stripe_api.event("checkout.session.completed", bought.paid)
    with pytest.raises(ProcessorError):  # the webhook cannot be applied yet: Stripe delivers it again later
        down.parse_webhook(body, headers)


@pytest.mark.parametrize("case", ["wrong key", "outage"])
def test_stripe_refusing_is_a_processor_error(shop, stripe_app, stripe_api, case):
    settings = stripe_app.config["SETTINGS"]
    if case == "wrong key":
        chosen = StripeProcessor(replace(settings, stripe_secret_key="sk_test_wrong"))
    else:
        chosen = StripeProcessor(settings)
        stripe_api.fail_next(503, times=3)  # more than the retries
    with stripe_app.app_context():
        payment = payments.start(
            db.session, db.session.get(User, shop.user_id), billing.CARD, "50", RATE, processor="stripe"
        )
        with pytest.raises(ProcessorError, match="refused the request"):
            chosen.start_checkout(payment, success_url=SUCCESS, cancel_url=CANCEL, save_card=False)
        db.session.rollback()


def test_a_refund_goes_back_through_stripe_once(shop, stripe_app, stripe_api, processor):
    paid = shop.pay("50", VISA)
    shop.approve(paid.reference)
    with stripe_app.app_context():
        from webapp.domain.roles import Role
        from webapp.services import accounts

        staff = accounts.create_account(
            db.session, None, username="suport", password="Sup0rt-pass-2026!", credit=D("0"), role=Role.SUPPORT
        )
        payment = payments.by_reference(db.session, paid.reference)
        note = payment_review.refund(db.session, staff, payment.id, "SMSC", lambda name: processor)
        db.session.commit()
        assert payments.by_reference(db.session, paid.reference).refund_ref == stripe_api.refunds[0]["id"]
        assert (note.total, len(stripe_api.refunds)) == (D("-60.50"), 1)
        assert stripe_api.refunds[0]["payment_intent"] == paid.intent
        [call] = stripe_api.calls("POST", "/v1/refunds")
        assert call.headers.get("idempotency-key") == f"smsportal-refund-{paid.reference}"
    assert shop.state().balance == D("0")
