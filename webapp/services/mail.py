"""Outgoing e-mail: SMTP when SMTP_HOST is set, otherwise written to the log (development)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from webapp.settings import Settings

log = logging.getLogger("smsportal.mail")
Attachment = tuple[str, str, bytes]  # closing documents (contracts): file name, MIME type, bytes


def send_mail(settings: Settings, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()) -> None:
    """``attachments``: (file name, MIME type such as application/pdf, bytes), e.g. closing documents."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    for filename, mimetype, data in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if not settings.smtp_host:
        names = ", ".join(name for name, _, _ in attachments)
        log.warning(
            "E-mail (SMTP_HOST not set, logged instead)\nTo: %s\nSubject: %s\n\n%s%s",
            to,
            subject,
            body,
            f"\n[attachments (closing documents or other): {names}]" if names else "",
        )
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
