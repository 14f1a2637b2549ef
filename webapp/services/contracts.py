"""Company contracts: the owner fills in the company's details and applies; applying numbers the
contract (its own gap-free series, once) and freezes a draft version; support reviews it, may ask
for corrections (the customer edits and applies again: a new version, the same number), marks it
sent, then signed with the signed scan (uploaded by the customer or support). Every change is in
the audit log. A subuser follows its parent account's contract. Operations flush, never commit."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, selectinload

from webapp.domain import N_
from webapp.domain import contracts as rules
from webapp.models import Account, BillingProfile, User
from webapp.models.contracts import Contract, ContractPolicy, ContractVersion
from webapp.models.staff import AuditEvent
from webapp.models.types import utcnow
from webapp.services import audit
from webapp.services.dml import rowcount
from webapp.services.errors import ServiceError
from webapp.services.invoices import next_number
from webapp.services.uploads import PROOF_MAX_BYTES, PROOF_TYPES, keep_document, proof_name

SERIES = "CTR"  # the contracts' own gap-free series (kept in invoice_series beside the invoices')
SCAN_MAX_BYTES = PROOF_MAX_BYTES  # uploads.keep_document's limit
NOT_YET_SIGNED = N_(
    "Your own sender IDs can be used once your company's contract is signed (Account → Contract). "
    "Until then, send with the shared sender ID."
)
ALREADY_MOVED = N_("This contract has changed meanwhile; look at it again.")


# --- the operator's policy -------------------------------------------------------------------


def policy(session: Session) -> ContractPolicy:
    """The one settings row (allowing own senders before signing until an operator says no)."""
    row = session.get(ContractPolicy, 1)
    return row if row is not None else ContractPolicy(id=1, own_senders_before_signed=True)


def set_policy(session: Session, admin: User, own_senders_before_signed: bool) -> ContractPolicy:
    row = session.get(ContractPolicy, 1)
    if row is None:
        row = ContractPolicy(id=1)
        session.add(row)
    before = row.own_senders_before_signed
    row.own_senders_before_signed = own_senders_before_signed
    session.flush()
    audit.record_admin(
        session,
        admin,
        "contract_policy",
        "contract_policy",
        detail={"own_senders_before_signed": own_senders_before_signed, "before": before},
    )
    return row


# --- what the account may do -------------------------------------------------------------------


def governing_account_id(account: Account) -> int:
    """A subuser follows its parent account's contract."""
    return account.parent_id if account.parent_id is not None else account.id


def contract_of(session: Session, account_id: int) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.account_id == account_id))


def status_for(session: Session, account: Account) -> str | None:
    contract = contract_of(session, governing_account_id(account))
    return None if contract is None else contract.status


def may_use_own_senders(session: Session, account: Account) -> bool:
    return rules.may_use_own_senders(policy(session).own_senders_before_signed, status_for(session, account))


def check_own_sender(session: Session, actor: User, sender: str, shared: str) -> None:
    """Refuses an own (non-shared) sender ID while the operator requires a signed contract first."""
    if sender != shared and not may_use_own_senders(session, actor.account):
        raise ServiceError(NOT_YET_SIGNED, {"sender": [NOT_YET_SIGNED]})


# --- the customer ---------------------------------------------------------------------------


def prefill(session: Session, actor: User) -> dict[str, Any]:
    """The form's values: the contract's as last applied, else from the billing details."""
    contract = contract_of(session, actor.account_id)
    if contract is not None:
        return dict(contract.details)
    values: dict[str, Any] = {"country": actor.account.default_region or "RO", "language": "en"}
    profile = session.get(BillingProfile, actor.account_id)
    if profile is not None:
        address = ", ".join(part for part in (profile.address, profile.city) if part)
        values.update(
            legal_name=profile.company_name,
            country=profile.country,
            fiscal_code=profile.fiscal_code,
            trade_register=profile.trade_register,
            registered_address=address,
            contract_address=address,
            documents_address=address,
            documents_email=profile.invoice_email,
            vat_payer=profile.is_business and profile.fiscal_code.upper().startswith("RO"),
        )
    if actor.email:
        values.setdefault("contact_email", actor.email)
    return values


def apply(session: Session, actor: User, raw: dict[str, Any], series: str = SERIES) -> Contract:
    """Apply (first time or after corrections): a new draft version, the number taken once."""
    contract = contract_of(session, actor.account_id)
    status = None if contract is None else contract.status
    if status not in rules.CAN_APPLY:
        raise ServiceError(N_("Your contract is already with support; it cannot be changed now."))
    try:
        details = rules.check_details(raw)
    except rules.ContractError as exc:
        raise ServiceError(N_("Please correct the marked fields."), exc.errors) from None
    if contract is None:
        contract = Contract(account_id=actor.account_id, series=series, number=next_number(session, series), version=1)
        session.add(contract)
    else:
        moved = session.execute(
            update(Contract)
            .where(Contract.id == contract.id, Contract.status == rules.CORRECTIONS)
            .values(version=Contract.version + 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(moved) != 1:
            raise ServiceError(ALREADY_MOVED)
        session.refresh(contract)
    contract.status, contract.details, contract.applied_at = rules.APPLIED, details, utcnow()
    session.flush()
    session.add(
        ContractVersion(contract_id=contract.id, version=contract.version, details=details, created_by_id=actor.id)
    )
    session.flush()
    _audit(session, None, actor, contract, "applied", version=contract.version)
    return contract


def versions(session: Session, contract: Contract) -> list[ContractVersion]:
    return list(
        session.scalars(
            select(ContractVersion)
            .where(ContractVersion.contract_id == contract.id)
            .order_by(ContractVersion.version.desc())
        )
    )


def version_of(session: Session, contract: Contract, version: int) -> ContractVersion:
    row = session.scalar(
        select(ContractVersion).where(ContractVersion.contract_id == contract.id, ContractVersion.version == version)
    )
    if row is None:
        raise LookupError(version)
    return row


def history(session: Session, contract: Contract) -> list[AuditEvent]:
    """The contract's audit events, oldest first: who did what, when."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.account_id == contract.account_id, AuditEvent.action.like("contract.%"))
            .options(selectinload(AuditEvent.user), selectinload(AuditEvent.staff_user))
            .order_by(AuditEvent.id)
        )
    )


# --- support --------------------------------------------------------------------------------


def for_support(session: Session, limit: int = 200) -> list[Contract]:
    """Contracts waiting for support (applied) first, oldest first; then the rest, latest first."""
    waiting = case((Contract.status == rules.APPLIED, 0), else_=1)
    return list(
        session.scalars(
            select(Contract)
            .options(selectinload(Contract.account))
            .order_by(waiting, Contract.applied_at, Contract.updated_at.desc(), Contract.id)
            .limit(limit)
        )
    )


def waiting_count(session: Session) -> int:
    return len(session.scalars(select(Contract.id).where(Contract.status == rules.APPLIED)).all())


def get(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise LookupError(contract_id)
    return contract


def _move(session: Session, contract: Contract, allowed: frozenset[str | None], **values: Any) -> None:
    moved = session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.status.in_([s for s in allowed if s]))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(moved) != 1:
        raise ServiceError(ALREADY_MOVED)
    session.refresh(contract)


def ask_correction(session: Session, staff: User, contract_id: int, note: str) -> Contract:
    contract = get(session, contract_id)
    note = (note or "").strip()
    if not note:
        message = N_("Write what the customer should correct.")
        raise ServiceError(message, {"note": [message]})
    _move(session, contract, rules.CAN_CORRECT, status=rules.CORRECTIONS, correction_note=note[:2000])
    _audit(session, staff, staff, contract, "corrections", note=note[:2000])
    return contract


def mark_sent(session: Session, staff: User, contract_id: int) -> Contract:
    contract = get(session, contract_id)
    _move(session, contract, rules.CAN_SEND, status=rules.SENT, sent_at=utcnow(), correction_note="")
    _audit(session, staff, staff, contract, "sent")
    return contract


def sign(
    session: Session,
    actor: User,
    contract: Contract,
    upload_dir: str,
    filename: str,
    stream: IO[bytes] | None,
    *,
    staff: bool,
) -> Contract:
    """The signed scan (PDF, JPEG or PNG, at most 10 MB) of a sent contract. Support's marks it
    signed (support may also confirm a scan the customer uploaded, with no new file); the
    customer's is kept for support to check: a file alone does not sign a contract (it would
    unlock own sender IDs where the operator requires a signed contract)."""
    if contract.status not in rules.CAN_SIGN:
        raise ServiceError(N_("The signed contract can be uploaded once the contract is sent for signing."))
    if staff and stream is None and contract.scan_path:  # the customer's scan, confirmed
        _move(session, contract, rules.CAN_SIGN, status=rules.SIGNED, signed_at=utcnow())
        _audit(session, actor, actor, contract, "signed", file=contract.scan_filename)
        return contract
    path = keep_scan(upload_dir, contract.account_id, filename, stream)
    if not staff:
        old = contract.scan_path
        contract.scan_path, contract.scan_filename = str(path), proof_name(filename)
        contract.scan_uploaded_at = utcnow()
        session.flush()
        if old:
            Path(old).unlink(missing_ok=True)
        _audit(session, None, actor, contract, "scan_uploaded", file=contract.scan_filename)
        return contract
    try:
        _move(
            session,
            contract,
            rules.CAN_SIGN,
            status=rules.SIGNED,
            signed_at=utcnow(),
            scan_path=str(path),
            scan_filename=proof_name(filename),
            scan_uploaded_at=utcnow(),
        )
    except ServiceError:
        path.unlink(missing_ok=True)
        raise
    _audit(session, actor if staff else None, actor, contract, "signed", file=contract.scan_filename)
    return contract


def keep_scan(upload_dir: str, account_id: int, filename: str, stream: IO[bytes] | None) -> Path:
    """The signed contract's scan (uploads.keep_document: PDF, JPEG or PNG, at most 10 MB)."""
    return keep_document(
        upload_dir,
        account_id,
        filename,
        stream,
        field="scan",
        folder="contracts",
        wrong_type=N_("Upload the signed contract as a PDF, JPEG or PNG file."),
    )


def scan_type(contract: Contract) -> str:
    return PROOF_TYPES.get(Path(contract.scan_filename or "").suffix.lower(), "application/octet-stream")


def _audit(session: Session, staff: User | None, actor: User, contract: Contract, action: str, **detail: Any) -> None:
    audit.record(
        session,
        staff_user=staff,
        user=actor,
        account_id=contract.account_id,
        action=f"contract.{action}",
        target=f"contract:{contract.id} {contract.printed_number}",
        reason=str(detail.get("note", "")),
        detail={"number": contract.printed_number, "status": contract.status, **detail},
    )
