"""Company contracts in plain Python: the states and who moves them, the details a contract
needs (checked field by field, the fiscal code as billing details check it) and its number."""

from __future__ import annotations

import re
from collections.abc import Mapping

from webapp.domain import N_
from webapp.domain.billing import BillingError, fiscal_code

APPLIED, CORRECTIONS, SENT, SIGNED = "applied", "corrections", "sent", "signed"
STATUSES = (APPLIED, CORRECTIONS, SENT, SIGNED)
# What each state means to the customer (the Contract page) and to support.
STATUS_LABELS = {
    APPLIED: N_("Waiting for review"),
    CORRECTIONS: N_("Corrections asked"),
    SENT: N_("Sent for signing"),
    SIGNED: N_("Signed"),
}
PENDING = {
    None: N_("Fill in your company's details and apply: we prepare the contract."),
    APPLIED: N_("Support is checking your details and the draft contract."),
    CORRECTIONS: N_("Support asked for corrections: change your details below and apply again."),
    SENT: N_(
        "Sign the contract we sent you and send it back, or upload the signed scan here; we check it and mark the contract signed."
    ),
    SIGNED: N_("Nothing: your contract is signed."),
}
# Who may move a contract from which state (support's actions; the customer applies).
CAN_APPLY = frozenset({None, CORRECTIONS})
CAN_CORRECT = frozenset({APPLIED, SENT})
CAN_SEND = frozenset({APPLIED})
CAN_SIGN = frozenset({SENT})
LANGUAGES = ("en", "ro")

FIELDS = (
    "legal_name",
    "country",
    "fiscal_code",
    "trade_register",
    "registered_address",
    "signatory_name",
    "signatory_position",
    "vat_payer",
    "contract_address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "documents_address",
    "documents_email",
    "edi",
    "edi_system",
    "language",
)
_REQUIRED = {
    "legal_name": N_("Give the company's legal name."),
    "trade_register": N_("Give the trade register number (e.g. J40/1234/2020)."),
    "registered_address": N_("Give the registered address."),
    "signatory_name": N_("Give the full name of the person who signs."),
    "signatory_position": N_("Give the signatory's exact position (e.g. Administrator)."),
    "contract_address": N_("Give the postal address the signed contract goes to."),
    "contact_name": N_("Give the contact person's name."),
    "contact_phone": N_("Give the contact person's phone number."),
    "documents_address": N_("Give the postal address for closing documents."),
}
_LIMITS = {"registered_address": 300, "contract_address": 300, "documents_address": 300, "edi_system": 100}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ContractError(ValueError):
    """The fields to correct: ``errors`` maps a field to its messages (msgid or (msgid, params))."""

    def __init__(self, errors: Mapping[str, list[str | tuple[str, Mapping[str, object]]]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def check_details(raw: Mapping[str, object]) -> dict[str, object]:
    """The details cleaned and checked; ContractError names every field to correct."""
    errors: dict[str, list[str | tuple[str, Mapping[str, object]]]] = {}
    clean: dict[str, object] = {}
    for name in FIELDS:
        value = raw.get(name)
        if name in ("vat_payer", "edi"):
            clean[name] = bool(value)
            continue
        text = " ".join(str(value or "").split()) if "address" not in name else str(value or "").strip()
        clean[name] = text[: _LIMITS.get(name, 200)]
        if name in _REQUIRED and not text:
            errors[name] = [_REQUIRED[name]]
    country = str(clean["country"]).upper()[:2]
    clean["country"] = country
    if len(country) != 2:
        errors["country"] = [N_("Choose the country.")]
    else:
        try:
            clean["fiscal_code"] = fiscal_code(country, str(clean["fiscal_code"]))
        except BillingError as exc:
            errors["fiscal_code"] = [(exc.message, exc.params)]
    for name in ("contact_email", "documents_email"):
        if not _EMAIL.match(str(clean[name])):
            errors[name] = [N_("Give a valid e-mail address.")]
    if clean["edi"] and not clean["edi_system"]:
        errors["edi_system"] = [N_("Say which electronic document exchange system you use.")]
    if not clean["edi"]:
        clean["edi_system"] = ""
    if clean["language"] not in LANGUAGES:
        clean["language"] = "en"
    if errors:
        raise ContractError(errors)
    return clean


def contract_number(series: str, number: int) -> str:
    """How a contract number is printed: the series and a zero-padded sequence, e.g. CTR-000007."""
    return f"{series}-{number:06d}"


def may_use_own_senders(policy_allows: bool, status: str | None) -> bool:
    """Own (non-shared) sender IDs: always once signed; before that, as the operator decided."""
    return policy_allows or status == SIGNED


# The history's lines (audit actions contract.<action>), as people read them.
ACTION_LABELS = {
    "applied": N_("Applied (draft version %(version)s)"),
    "corrections": N_("Corrections asked"),
    "sent": N_("Sent for signing"),
    "signed": N_("Signed (scan %(file)s)"),
    "scan_uploaded": N_("Signed scan uploaded (%(file)s), waiting for our check"),
}
