"""Stripe Checkout through the official `stripe` library (one StripeClient per processor, no
global state). The customer pays on Stripe's hosted page; what happened comes back as signed
webhooks (`Stripe-Signature`, verified by the library); automatic top-ups are off-session
PaymentIntents with an idempotency key derived from our payment reference, so a retried job
never charges twice.

Webhook events acted on (everything else is ignored, answered 200):
  checkout.session.completed (payment_status "paid"), checkout.session.async_payment_succeeded → PAID
  checkout.session.async_payment_failed, checkout.session.expired                             → FAILED
  payment_intent.succeeded / payment_intent.payment_failed, only for our automatic top-ups
  (metadata automatic=true): the late answer for a charge that was still processing.
A PAID event carries the PaymentIntent id (the charge reference) and the card (payment method
id, fingerprint, "Visa •••• 4242", customer id), read from the PaymentIntent with its payment
method expanded."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe

from webapp.services.processors import FAILED, PAID, CardInfo, Checkout, InvalidWebhook, PaymentEvent, ProcessorError

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams
    from stripe.params.checkout import SessionCreateParams, SessionCreateParamsPaymentIntentData

    from webapp.models import Payment, SavedCard
    from webapp.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
TIMEOUT = (5, 30)  # seconds: connect, read
MAX_NETWORK_RETRIES = 2  # connection errors, 409 and 5xx; POSTs keep their idempotency key
PRODUCT_NAME = "SMS credit"
DECLINE_MESSAGE = "Your card was declined."
EXPIRED_MESSAGE = "The payment page expired before the payment was made."
ASYNC_FAILED_MESSAGE = "The payment failed."
# Stripe's currencies without a minor unit (amounts are sent in whole units).
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos",
    "interac": "Interac",
}


def minor_units(amount: Decimal, currency: str) -> int:
    """An exact amount in the currency's smallest unit (cents); never rounded, never a float."""
    scaled = Decimal(amount) * (1 if currency.upper() in ZERO_DECIMAL else 100)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def card_label(brand: str, last4: str) -> str:
    return f"{BRANDS.get(brand, (brand or 'card').replace('_', ' ').title())} •••• {last4}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _id(value: Any) -> str:
    """An expandable field: an id string, or the expanded object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _processor_error(exc: stripe.StripeError) -> ProcessorError:
    """A short reason (it may reach the customer's dashboard); the whole error goes to the log."""
    log.warning("Stripe request failed: %r", exc)
    if isinstance(exc, stripe.APIConnectionError):
        return ProcessorError("The card processor (Stripe) could not be reached.")
    return ProcessorError(
        f"The card processor (Stripe) refused the request: {exc.user_message or exc.code or exc.http_status}"
    )


class StripeProcessor:
    name = "stripe"

    def __init__(self, settings: Settings, *, http_client: stripe.HTTPClient | None = None) -> None:
        self.settings = settings
        self.client = stripe.StripeClient(
            settings.stripe_secret_key or "sk_missing",
            base_addresses={"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=http_client or stripe.RequestsClient(timeout=TIMEOUT),
        )

    # -- checkout: the customer goes to Stripe's hosted page ------------------------------
    def start_checkout(self, payment: Payment, *, success_url: str, cancel_url: str, save_card: bool) -> Checkout:
        currency = (payment.currency or "EUR").lower()
        metadata = {"reference": payment.reference, "save_card": "true" if save_card else "false"}
        intent_data: SessionCreateParamsPaymentIntentData = {"metadata": {"reference": payment.reference}}
        # "payment_method_types" is sent as before, but stripe 16's typed params do not list it any more
        # (they name allowed_payment_method_types instead): the ignore is for that key only.
        params: SessionCreateParams = {  # type: ignore[typeddict-unknown-key]
            "mode": "payment",
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": minor_units(payment.total, currency),
                        "product_data": {"name": PRODUCT_NAME},
                    },
                }
            ],
            "client_reference_id": payment.reference,
            "metadata": metadata,
            "payment_intent_data": intent_data,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if save_card:
            params["customer_creation"] = "always"
            intent_data["setup_future_usage"] = "off_session"
        try:
            session = self.client.v1.checkout.sessions.create(params=params)
        except stripe.StripeError as exc:
            raise _processor_error(exc) from exc
        if session.url is None:  # Stripe gives a payment page to every session in payment mode
            raise ProcessorError("The card processor (Stripe) gave no payment page.")
        return Checkout(url=session.url, processor_ref=None)

    # -- webhooks ---------------------------------------------------------------------------
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent | None:
        try:
            event = self.client.construct_event(
                body,
                _header(headers, SIGNATURE_HEADER),
                self.settings.stripe_webhook_secret,
                tolerance=TOLERANCE_SECONDS,
            )
            kind = event.type
            obj = event.data.object.to_dict()
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook(exc.user_message or "bad signature") from None
        except (ValueError, KeyError, AttributeError, TypeError):
            raise InvalidWebhook("malformed event") from None
        if kind.startswith("checkout.session."):
            return self._session_event(kind, obj)
        if kind in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            return self._automatic_event(kind, obj)
        return None

    # The events' objects, as dicts (Stripe's to_dict()): JSON, hence dict[str, Any].
    def _session_event(self, kind: str, session: dict[str, Any]) -> PaymentEvent | None:
        metadata = session.get("metadata") or {}
        reference = metadata.get("reference") or session.get("client_reference_id")
        if not reference:
            return None  # a session someone else made on the same Stripe account
        save_card = metadata.get("save_card") == "true"
        intent_id = _id(session.get("payment_intent"))
        if (
            kind == "checkout.session.completed"
            and session.get("payment_status") == "paid"
            or kind == "checkout.session.async_payment_succeeded"
        ):
            if not intent_id:
                raise InvalidWebhook("a paid session without a payment intent")
            return self._paid(reference, intent_id, save_card, _id(session.get("customer")))
        if kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
            failure = EXPIRED_MESSAGE if kind.endswith("expired") else ASYNC_FAILED_MESSAGE
            return PaymentEvent(
                outcome=FAILED,
                payment_reference=reference,
                processor_ref=intent_id or session.get("id", ""),
                save_card=save_card,
                failure=failure,
            )
        return None  # completed but unpaid (an asynchronous method): its own event follows

    def _automatic_event(self, kind: str, intent: dict[str, Any]) -> PaymentEvent | None:
        metadata = intent.get("metadata") or {}
        if metadata.get("automatic") != "true" or not metadata.get("reference"):
            return None  # Checkout's own intents are settled by the checkout.session events
        if kind == "payment_intent.succeeded":
            return self._paid(metadata["reference"], intent["id"], False, _id(intent.get("customer")))
        error = intent.get("last_payment_error") or {}
        return PaymentEvent(
            outcome=FAILED,
            payment_reference=metadata["reference"],
            processor_ref=intent["id"],
            failure=error.get("message") or DECLINE_MESSAGE,
        )

    def _paid(self, reference: str, intent_id: str, save_card: bool, customer: str) -> PaymentEvent:
        """The PaymentIntent with its card, asked of Stripe (the event names only the ids)."""
        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id, params={"expand": ["payment_method"]}).to_dict()
        except stripe.StripeError as exc:
            raise _processor_error(exc) from exc
        return PaymentEvent(
            outcome=PAID,
            payment_reference=reference,
            processor_ref=intent["id"],
            card=self._card(intent, customer),
            save_card=save_card,
        )

    @staticmethod
    def _card(intent: dict[str, Any], customer: str = "") -> CardInfo | None:
        method = intent.get("payment_method")
        if not isinstance(method, dict):
            return None
        card = method.get("card")
        if not card or not card.get("fingerprint"):
            return None
        return CardInfo(
            token=method["id"],
            fingerprint=card["fingerprint"],
            label=card_label(card.get("brand") or "", card.get("last4") or ""),
            customer_ref=_id(intent.get("customer")) or customer,
        )

    # -- automatic top-ups ------------------------------------------------------------------
    def charge_saved_card(self, payment: Payment, card: SavedCard) -> PaymentEvent:
        currency = (payment.currency or "EUR").lower()
        info = CardInfo(card.token, card.fingerprint, card.label, card.customer_ref)
        # "payment_method_types": see start_checkout.
        params: PaymentIntentCreateParams = {  # type: ignore[typeddict-unknown-key]
            "amount": minor_units(payment.total, currency),
            "currency": currency,
            "payment_method": card.token,
            "off_session": True,
            "confirm": True,
            "payment_method_types": ["card"],
            "description": f"{PRODUCT_NAME} {payment.reference}",
            "metadata": {"reference": payment.reference, "automatic": "true"},
        }
        if card.customer_ref:
            params["customer"] = card.customer_ref
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": self.idempotency_key(payment)}
            ).to_dict()
        except stripe.CardError as exc:
            body = exc.json_body if isinstance(exc.json_body, dict) else {}  # Stripe's JSON answer
            error = body.get("error") or {}
            return PaymentEvent(
                outcome=FAILED,
                payment_reference=payment.reference,
                processor_ref=_id(error.get("payment_intent")),
                card=info,
                failure=error.get("message") or exc.user_message or DECLINE_MESSAGE,
            )
        except stripe.StripeError as exc:
            raise _processor_error(exc) from exc
        status = intent.get("status")
        if status == "succeeded":
            return PaymentEvent(
                outcome=PAID, payment_reference=payment.reference, processor_ref=intent["id"], card=info
            )
        if status in ("requires_payment_method", "requires_action", "canceled"):
            error = intent.get("last_payment_error") or {}
            return PaymentEvent(
                outcome=FAILED,
                payment_reference=payment.reference,
                processor_ref=intent["id"],
                card=info,
                failure=error.get("message") or DECLINE_MESSAGE,
            )
        # "processing": the answer comes later as payment_intent.succeeded / payment_failed.
        raise ProcessorError(f"The card payment is still being processed by Stripe ({intent['id']}, {status}).")

    def refund(self, payment: Payment) -> str:
        """The whole payment back to the card (a retried refund is the same refund)."""
        if not payment.processor_ref:
            raise ProcessorError("Nothing was charged for this payment at Stripe.")
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment.processor_ref, "metadata": {"reference": payment.reference}},
                options={"idempotency_key": f"smsportal-refund-{payment.reference}"},
            )
        except stripe.StripeError as exc:
            raise _processor_error(exc) from exc
        return refund.id

    @staticmethod
    def idempotency_key(payment: Payment) -> str:
        return f"smsportal-charge-{payment.reference}"
