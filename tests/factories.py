"""One factory per object the tests need that is more than one call to make: subusers, support
staff, campaigns and messages. Each is built through the real services, as the tests did by hand,
and then given what the test pins (a name, a status, a summary) on the model. Like the services they flush and
never commit: call them inside an app context and commit when the test would.

The fixtures ``make_subuser``, ``make_parent`` (the world subusers live in) sit in tests/conftest.py
beside ``make_user``; they wrap these in an app context and commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from webapp.domain.sms_text import GSM7
from webapp.models import Campaign, Message, MessagePart, User
from webapp.models.types import utcnow

# ---------------------------------------------------------------- subusers


def subuser(
    session: Session,
    parent: User,
    username: str = "casa",
    *,
    password: str | None = None,
    own_password: bool = True,
    name: str | None = None,
    credit: str | None = None,
    transfer: str | None = None,
    **settings,
):
    """A subuser of ``parent`` (an owner) through ``subusers.create_subuser``: its child account
    and its one user, returned as the service's ``Subuser(account, user)``.

    - ``password``: tests.conftest.PASSWORD unless given.
    - ``own_password``: the subuser has chosen its own password already (signs in straight away);
      False leaves the owner's first password expired, as the service does.
    - ``name``: the child account's name (the service names it after the username).
    - ``credit``: opening credit of the child account, through the ledger as ``create_account`` gives it.
    - ``transfer``: credit moved from the parent through ``subusers.transfer``.
    - ``settings``: ``subusers.Settings`` fields (billing_mode, email, phone, caps, ...).
    """
    from tests.conftest import PASSWORD
    from webapp.services import ledger, subusers

    made = subusers.create_subuser(
        session, parent, username=username, password=password or PASSWORD, settings=subusers.Settings(**settings)
    )
    if own_password:
        made.user.password_changed_at = utcnow()
    if name is not None:
        made.account.name = name
    session.flush()
    if credit:
        ledger.post(
            session,
            made.account,
            Decimal(credit),
            kind="topup",
            reason="Opening credit",
            reference=f"account:{made.account.id}:opening",
            actor=None,
        )
    if transfer:
        subusers.transfer(session, parent, made.account.id, transfer)
    return made


# ---------------------------------------------------------------- staff


def support_user(
    session: Session, username: str = "suport", *, password: str | None = None, email: str | None = None
) -> User:
    """A support staff user (``Role.SUPPORT``) with its staff account and no credit, through
    ``accounts.create_account``; ``password`` is tests.conftest.PASSWORD unless given, ``email``
    USERNAME@example.com."""
    from tests.conftest import PASSWORD
    from webapp.domain.roles import Role
    from webapp.services import accounts

    return accounts.create_account(
        session,
        None,
        username=username,
        password=password or PASSWORD,
        email=email or f"{username}@example.com",
        role=Role.SUPPORT,
    )


# ---------------------------------------------------------------- campaigns


def campaign(
    session: Session,
    user: User,
    recipients: Iterable[str | dict] = ("0722123456",),
    *,
    text: str = "Salut",
    sender: str = "1899",
    group: str = "Abonați",
    name: str | None = None,
    prepare: bool = False,
    **columns,
) -> Campaign:
    """A campaign to a contact list, through the real services: ``contacts.create_group`` (phones, or
    rows such as ``{"phone": ..., "first_name": ...}``) and ``campaigns.new_for_lists``.

    - ``prepare``: also choose its options (``name``, the text and sender, sent now, default pacing)
      and expand it, so it is ready to confirm with its summary (cost) computed.
    - ``name``: the campaign's name (without ``prepare``, set on the model; the service names it
      after its lists).
    - ``columns``: set on the model afterwards, for states the test pins (a status, a summary).
    """
    from webapp.services import campaigns, contacts
    from webapp.services.campaign_expansion import expand

    rows = [row if isinstance(row, dict) else {"phone": row} for row in recipients]
    made = campaigns.new_for_lists(session, user, [contacts.create_group(session, user, group, rows).id], text, sender)
    if prepare:
        campaigns.set_options(
            session,
            user,
            made,
            campaigns.Options(
                name=name or made.name,
                sender=sender,
                text=text,
                send_at=None,
                speed=0,
                filter_duplicates=True,
                check_blocklists=True,
                validity_minutes=2880,
                monitor_every=0,
                monitor_number="",
            ),
        )
        campaigns.start_preparing(session, made)
        expand(session, made)
    elif name is not None:
        made.name = name
    for column, value in columns.items():
        setattr(made, column, value)
    session.flush()
    return made


# ---------------------------------------------------------------- messages


def messages(
    session: Session, user: User, to: Iterable[str], *, text: str = "Salut", sender: str = "1899", **submission
) -> list[Message]:
    """Messages accepted by the real service (``sending.accept``): priced, reserved and queued,
    or refused; the account needs a price and a route for them."""
    from webapp.services import sending

    submission = {"links": True, **submission}  # as Send SMS and the API: #link/#stop become short links
    return sending.accept(session, user, sending.Submission(to=list(to), text=text, sender=sender, **submission))


def message(
    session: Session,
    user: User,
    to: str = "0722123456",
    *,
    text: str = "Salut",
    sender: str = "1899",
    status: str | None = None,
    part: dict | None = None,
    **columns,
) -> Message:
    """One message of ``user``.

    Without ``status``: accepted by the real service, as :func:`messages` does.
    With a ``status`` (a draft, a final state no test wants to wait for): the row written as it would
    be then, ``to`` as stored (E.164), GSM-7 in one part; ``columns`` override anything
    (``user_id=None``, ``created_at``); ``part``, if given, is its one MessagePart's columns
    (``route_id``, ``upstream_id``, ...).
    """
    if status is None:
        assert not columns and part is None, "columns and part go with a status"
        [made] = messages(session, user, [to], text=text, sender=sender)
        return made
    values = dict(
        account_id=user.account_id,
        user_id=user.id,
        sender=sender,
        to=to,
        text=text,
        encoding=GSM7,
        parts=1,
        status=status,
        validity_until=utcnow() + timedelta(days=1),
    )
    values.update(columns)
    made = Message(**values)
    session.add(made)
    session.flush()
    if part is not None:
        session.add(MessagePart(**{"message_id": made.id, "seq": 1, "submission_key": f"k{made.id}", **part}))
        session.flush()
    return made
