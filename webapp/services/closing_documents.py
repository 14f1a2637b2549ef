"""Monthly closing documents: the month's statement and its invoices, e-mailed to the address an
account gave for them on its contract. Once per account and month: the mail is claimed by a row
(unique per account and month) in the same transaction as it is sent, so a second run, or two at
once, sends nothing more; a mail that failed leaves no claim and goes on the next run."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.models import Account, Invoice, Statement, User
from webapp.models.contracts import ClosingDocumentsMail, Contract
from webapp.models.types import utcnow
from webapp.services import invoices as invoice_book
from webapp.services import statement_export
from webapp.services.mail import Attachment, send_mail
from webapp.services.pdf import render_pdf
from webapp.services.statement_figures import period_instants
from webapp.settings import Settings

LOOK_BACK = timedelta(days=45)  # monthly statements this recent may still need their mail


def due(session: Session) -> list[int]:
    """Monthly statements of accounts with a contract whose closing documents were not mailed yet."""
    since = (utcnow() - LOOK_BACK).date()
    mailed = select(ClosingDocumentsMail.id).where(
        and_(
            ClosingDocumentsMail.account_id == Statement.account_id,
            ClosingDocumentsMail.period_start == Statement.period_start,
        )
    )
    return list(
        session.scalars(
            select(Statement.id)
            .join(Contract, Contract.account_id == Statement.account_id)
            .where(Statement.monthly.is_(True), Statement.period_start >= since, ~mailed.exists())
            .order_by(Statement.id)
        )
    )


def send(session: Session, statement_id: int, settings: Settings) -> bool:
    """Mail one statement's closing documents; False when there is nothing to send or it was sent."""
    statement = session.get(Statement, statement_id)
    contract = (
        None
        if statement is None
        else session.scalar(select(Contract).where(Contract.account_id == statement.account_id))
    )
    email = str((contract.details if contract else {}).get("documents_email") or "")
    if statement is None or not statement.monthly or "@" not in email:
        return False
    try:
        with session.begin_nested():
            session.add(
                ClosingDocumentsMail(account_id=statement.account_id, period_start=statement.period_start, email=email)
            )
    except IntegrityError:
        return False  # mailed already (or being mailed by another run)
    account = session.get_one(Account, statement.account_id)
    owner = session.scalar(select(User).where(User.account_id == account.id, User.role == "owner"))
    language = str((contract.details if contract else {}).get("language") or (owner.language if owner else "") or "en")
    with force_locale(language):  # (a worker calls this within a request context: the PDFs' templates want one)
        attachments = _attachments(session, statement, account, settings)
        month = statement.period_start.strftime("%Y-%m")
        subject = gettext("Closing documents for %(month)s: %(account)s", month=month, account=account.name)
        body = gettext(
            "Hello,\n\nattached are the closing documents of %(month)s for %(account)s: the account "
            "statement and the invoices issued that month (%(count)d).\n\n%(seller)s",
            month=month,
            account=account.name,
            count=len(attachments) - 1,
            seller=settings.seller_name,
        )
    send_mail(settings, email, subject, body, attachments)
    return True


def _attachments(session: Session, statement: Statement, account: Account, settings: Settings) -> list[Attachment]:
    since, until = period_instants(account, statement.period_start, statement.period_end)
    files: list[Attachment] = [
        (f"{statement_export.number(statement)}.pdf", "application/pdf", statement_export.pdf(statement, settings))
    ]
    for invoice in session.scalars(
        select(Invoice)
        .where(
            Invoice.account_id == account.id,
            Invoice.kind.in_(("invoice", "credit_note")),
            Invoice.issued_at >= since,
            Invoice.issued_at < until,
        )
        .order_by(Invoice.series, Invoice.number)
    ):
        data = render_pdf("pdf/invoice.html", **invoice_book.document(session, invoice, settings))
        files.append((f"{invoice.printed_number}.pdf", "application/pdf", data))
    return files
