"""The contract's PDFs: the blank template per language (downloadable before applying) and a
draft version with the customer's details, printed in the contract's language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import force_locale

from webapp.domain.contracts import LANGUAGES
from webapp.models.contracts import Contract, ContractVersion
from webapp.services.invoices import seller
from webapp.services.pdf import render_pdf

if TYPE_CHECKING:
    from webapp.settings import Settings


def template_pdf(language: str, settings: Settings) -> bytes:
    """The blank contract in ``language`` (en or ro): every customer field a dotted line."""
    if language not in LANGUAGES:
        raise LookupError(language)
    return _render(language, seller=seller(settings), details={}, contract=None, version=None)


def draft_pdf(contract: Contract, version: ContractVersion, settings: Settings) -> bytes:
    details = dict(version.details)
    language = str(details.get("language") or "en")
    return _render(language, seller=seller(settings), details=details, contract=contract, version=version)


def draft_filename(contract: Contract, version: ContractVersion) -> str:
    return f"{contract.printed_number}-v{version.version}.pdf"


def _render(language: str, **context: Any) -> bytes:
    with force_locale(language):
        return render_pdf("pdf/contract.html", pdf_language=language, **context)
