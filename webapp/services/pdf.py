"""PDF documents (invoices, proformas, statements) made by WeasyPrint from templates under
`jinja/pdf/`. The fonts ship with the project (webapp/static/fonts), so Romanian diacritics
print the same on every machine, whatever fonts it has installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def render_pdf(template: str, **context: Any) -> bytes:
    """Render `pdf/<template>` (extending pdf/_base.html) to PDF bytes. Needs an app context."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_template(template, **context)
    fonts = FontConfiguration()
    pdf: bytes = HTML(string=html, base_url=str(STATIC_DIR) + "/").write_pdf(font_config=fonts)  # weasyprint is untyped
    return pdf
