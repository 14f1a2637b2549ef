"""Card payment processors behind one small interface, chosen by `PAYMENT_PROCESSOR`:
the built-in sandbox (its own hosted page, used by `make run` and the tests) or Stripe Checkout.

A processor starts a checkout for a Payment (the customer is sent to its page), turns a webhook
delivery into a verified PaymentEvent, and charges a saved card off-session (automatic top-up).
What an event *does* (credit once, hold for review, decline, keep the card) is
`services.payments.apply_event`, the same for every processor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from webapp.models import Payment, SavedCard
    from webapp.settings import Settings

PAID, FAILED = "paid", "failed"


class InvalidWebhook(Exception):
    """The body is not signed by the processor with our secret (or is too old, or malformed)."""


class ProcessorError(Exception):
    """The processor could not be reached or refused the request (not a card decline)."""


@dataclass(frozen=True)
class CardInfo:
    """A card as the processor describes it; `token` is what charges it again later."""

    token: str
    fingerprint: str
    label: str  # "Visa •••• 4242"
    customer_ref: str = ""


@dataclass(frozen=True)
class PaymentEvent:
    outcome: str  # PAID | FAILED
    payment_reference: str  # our Payment.reference
    processor_ref: str  # the processor's id for the charge (unique per payment)
    card: CardInfo | None = None
    save_card: bool = False  # the customer asked to keep the card for automatic top-ups
    failure: str = ""  # the processor's reason, when FAILED


@dataclass(frozen=True)
class Checkout:
    url: str  # where the customer's browser goes to pay
    processor_ref: str | None = None


class Processor(Protocol):
    name: str

    def start_checkout(self, payment: Payment, *, success_url: str, cancel_url: str, save_card: bool) -> Checkout: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent | None:
        """The verified event, None for an event kind we do not act on; InvalidWebhook otherwise."""

    def charge_saved_card(self, payment: Payment, card: SavedCard) -> PaymentEvent:
        """Charge off-session; returns a PAID or FAILED event (ProcessorError if unreachable)."""

    def refund(self, payment: Payment) -> str:
        """Give the payment's money back to the card, once (idempotent); the refund's id.
        ProcessorError when it cannot be done."""


def processor_for(settings: Settings, name: str | None = None) -> Processor:
    name = name or settings.payment_processor
    if name == "sandbox":
        from webapp.services.processors.sandbox import SandboxProcessor

        return SandboxProcessor(settings)
    if name == "stripe":
        from webapp.services.processors.stripe_checkout import StripeProcessor

        return StripeProcessor(settings)
    raise ValueError(f"unknown payment processor {name!r}")
