"""Account → Replies: the account's reply keywords (STOP, START, HELP lists; the defaults until
it changes them), the text a HELP reply gets, and the confirmation a STOP gets (none by default).
Operations flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp.domain import N_, opt_out, sms_text
from webapp.models import User
from webapp.services.errors import FieldMessage, ServiceError
from webapp.services.inbound import keywords_of
from webapp.services.sending import DEFAULT_MAX_PARTS

MAX_TEXT = 612  # characters: four GSM-7 parts; an automatic answer is charged like any message
# An automatic answer goes through sending.accept with its default limit of parts: a longer text
# (an emoji counts two units) would be refused each time it is to be sent.
MAX_PARTS = DEFAULT_MAX_PARTS
# Each text's refusals name it: the message sits under its field, and the page shows no other.
TOO_LONG = {
    "help_text": N_("The answer to HELP has %(length)d characters; at most %(num)d are allowed."),
    "confirmation": N_("The STOP confirmation has %(length)d characters; at most %(num)d are allowed."),
}
TOO_MANY_PARTS = {
    "help_text": N_("The answer to HELP would be sent in %(parts)d SMS parts; at most %(max_parts)d are allowed."),
    "confirmation": N_(
        "The STOP confirmation would be sent in %(parts)d SMS parts; at most %(max_parts)d are allowed."
    ),
}


@dataclass(frozen=True)
class ReplySettings:
    keywords: dict[str, list[str]]
    help_text: str
    opt_out_confirmation: str


def settings_of(actor: User) -> ReplySettings:
    account = actor.account
    return ReplySettings(keywords_of(account), account.help_text or "", account.opt_out_confirmation or "")


def save(session: Session, actor: User, keywords: dict[str, str], help_text: str, confirmation: str) -> None:
    """Each list as typed (one keyword a line or comma separated, cleaned); a keyword in two
    lists or an empty STOP list is refused, as is an answer longer than MAX_TEXT characters."""
    lists = {action: opt_out.clean_keywords(keywords.get(action, "")) for action in opt_out.ACTIONS}
    errors: dict[str, list[FieldMessage]] = {}
    if not lists[opt_out.STOP]:
        errors["stop"] = [N_("Keep at least one STOP keyword: phones must be able to opt out.")]
    seen: dict[str, str] = {}
    for action in opt_out.ACTIONS:
        for word in lists[action]:
            if word in seen and seen[word] != action:
                errors.setdefault(action, []).append(
                    (N_("%(word)s is in the %(other)s list too."), {"word": word, "other": seen[word].upper()})
                )
            seen.setdefault(word, action)
    texts = {"help_text": _clean(help_text), "confirmation": _clean(confirmation)}
    for name, text in texts.items():
        parts = sms_text.analyze(text).parts if text else 0
        if len(text) > MAX_TEXT:
            errors[name] = [(TOO_LONG[name], {"length": len(text), "num": MAX_TEXT})]
        elif parts > MAX_PARTS:
            errors[name] = [(TOO_MANY_PARTS[name], {"parts": parts, "max_parts": MAX_PARTS})]
    if errors:
        raise ServiceError(N_("The reply settings were not saved."), errors)
    account = actor.account
    defaults = {action: list(opt_out.DEFAULT_KEYWORDS[action]) for action in opt_out.ACTIONS}
    account.reply_keywords = None if lists == defaults else lists
    account.help_text = texts["help_text"] or None
    account.opt_out_confirmation = texts["confirmation"] or None
    session.flush()


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").strip()
