"""What the balance watch says: the low-balance SMS (GSM-7, one part, in the owner's language) and the
e-mails to the account's owners (low balance, automatic top-up failed).

Texts are translated with Flask-Babel under the recipient's language, so these run inside an
app context (the workers' job context, or a request)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.domain.gsm_suggestions import gsm_safe
from webapp.domain.roles import Role
from webapp.domain.sms_text import GSM7, analyze
from webapp.i18n import plain_amount
from webapp.models import Account, User
from webapp.services.mail import send_mail

if TYPE_CHECKING:
    from webapp.settings import Settings

BUY_PATH = "/account/buy"
AUTO_TOP_UP_PATH = "/account/auto-top-up"
NOTIFICATIONS_PATH = "/account/notifications"


def public_url(settings: Settings, path: str) -> str:
    """The page's address as a customer reaches it, when the deployment says where it lives
    (``PUBLIC_URL``); empty otherwise (a worker has no request to ask)."""
    base = (settings.public_url or "").rstrip("/")
    return f"{base}{path}" if base else ""


def owners(session: Session, account_id: int) -> list[User]:
    """The account's active owners with an e-mail address: the ones told by e-mail."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.account_id == account_id,
                User.role == Role.OWNER.value,
                User.active.is_(True),
                User.email.is_not(None),
                User.email != "",
            )
            .order_by(User.id)
        )
    )


def language_of(session: Session, account_id: int) -> str:
    """The first owner's language (the SMS is written in it); English when there is none."""
    language = session.scalar(
        select(User.language)
        .where(User.account_id == account_id, User.role == Role.OWNER.value)
        .order_by(User.id)
        .limit(1)
    )
    return language or "en"


def alert_text(settings: Settings, balance: Decimal, threshold: Decimal, language: str = "en") -> str:
    """The low-balance SMS: GSM-7 (accents folded) and one part; the link is left out when there is
    none or it would not fit."""
    url = public_url(settings, BUY_PATH)
    with force_locale(language):
        values = {"balance": plain_amount(balance), "threshold": plain_amount(threshold)}
        texts: list[str] = (
            [
                gettext(
                    "SMS Portal: your balance is %(balance)s EUR, below your alert level of %(threshold)s EUR. "
                    "Top up at %(url)s",
                    url=url,
                    **values,
                )
            ]
            if url
            else []
        )
        texts.append(
            gettext(
                "SMS Portal: your balance is %(balance)s EUR, below your alert level of "
                "%(threshold)s EUR. Top up in your account.",
                **values,
            )
        )
    texts = [gsm_safe(t) for t in texts]
    return next((t for t in texts if analyze(t).parts == 1 and analyze(t).encoding == GSM7), texts[-1])


def _account_name(session: Session, account_id: int) -> str:
    return session.scalar(select(Account.name).where(Account.id == account_id)) or ""


def mail_low_balance(
    session: Session, settings: Settings, account_id: int, balance: Decimal, threshold: Decimal, phone: str
) -> int:
    """One e-mail to each owner; the number of e-mails sent."""
    name, sent = _account_name(session, account_id), 0
    for owner in owners(session, account_id):
        with force_locale(owner.language or "en"):
            subject = gettext("Your SMS Portal balance is below %(threshold)s EUR", threshold=plain_amount(threshold))
            lines = [
                gettext("Hello,"),
                "",
                gettext(
                    "The balance of the account %(account)s is %(balance)s EUR, below the %(threshold)s EUR "
                    "you chose to be told about. We also sent an SMS to %(phone)s.",
                    account=name,
                    balance=plain_amount(balance),
                    threshold=plain_amount(threshold),
                    phone=phone,
                ),
                "",
            ]
            url = public_url(settings, BUY_PATH)
            if url:
                lines += [gettext("Buy credit: %(url)s", url=url), ""]
            lines.append(
                gettext(
                    "You are told once each time the balance falls below this amount. "
                    "Change it under Account → Notifications."
                )
            )
        assert owner.email is not None  # owners() has only those with an address
        send_mail(settings, owner.email, subject, "\n".join(lines))
        sent += 1
    return sent


def mail_top_up_failed(
    session: Session,
    settings: Settings,
    account_id: int,
    reason: str,
    amount: Decimal | None,
    threshold: Decimal | None,
) -> int:
    """One e-mail to each owner; the number of e-mails sent."""
    name, sent = _account_name(session, account_id), 0
    balance = session.scalar(select(Account.balance).where(Account.id == account_id)) or Decimal(0)
    for owner in owners(session, account_id):
        with force_locale(owner.language or "en"):
            subject = gettext("Automatic top-up failed")
            lines = [gettext("Hello,"), ""]
            if amount is not None:
                lines.append(
                    gettext(
                        "We could not top up the account %(account)s with %(amount)s EUR automatically: %(reason)s",
                        account=name,
                        amount=plain_amount(amount),
                        reason=gettext(reason),
                    )
                )
            else:
                lines.append(
                    gettext(
                        "We could not top up the account %(account)s automatically: %(reason)s",
                        account=name,
                        reason=gettext(reason),
                    )
                )
            lines += [
                "",
                gettext(
                    "The balance is %(balance)s EUR. Check your card, or buy credit yourself.",
                    balance=plain_amount(balance),
                ),
            ]
            url = public_url(settings, AUTO_TOP_UP_PATH)
            if url:
                lines.append(gettext("Automatic top-up: %(url)s", url=url))
            if threshold is not None:
                lines += [
                    "",
                    gettext(
                        "We try again only after the balance has been above %(threshold)s EUR and "
                        "falls below it again.",
                        threshold=plain_amount(threshold),
                    ),
                ]
        assert owner.email is not None  # owners() has only those with an address
        send_mail(settings, owner.email, subject, "\n".join(lines))
        sent += 1
    return sent
