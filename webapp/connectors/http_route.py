"""What the HTTP connectors (SMSC.ru, the generic gateway) share: a message goes whole, in one
request, and the provider splits it; each of its parts gets the provider's id."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.connectors.base import OutgoingPart, SubmitResult


@dataclass(frozen=True)
class WholeMessage:
    message_id: int
    to: str  # E.164
    sender: str
    text: str  # the parts' texts joined: the message's text (sms_text.split is lossless)
    parts: tuple[OutgoingPart, ...]
    validity_seconds: int
    flash: bool = False  # message class 0 (shown on the screen, not stored)

    @property
    def keys(self) -> list[str]:
        return [p.submission_key for p in self.parts]

    def results(
        self, upstream_id: str | None = None, error_code: str | None = None, provider_parts: int | None = None
    ) -> list[SubmitResult]:
        """Every part's result: taken with the provider's id (the count on the first part), or refused."""
        return [
            SubmitResult(
                p.submission_key,
                upstream_id=upstream_id,
                error_code=None if upstream_id else error_code,
                provider_parts=provider_parts if p.seq == 1 else None,
            )
            for p in self.parts
        ]


def whole_messages(parts: list[OutgoingPart]) -> list[WholeMessage]:
    """The parts grouped into their messages, in the order they came. A message's parts come
    together (the sending pipeline never splits a message across calls to an HTTP route)."""
    grouped: dict[int, list[OutgoingPart]] = {}
    for part in parts:
        grouped.setdefault(part.message_id, []).append(part)
    out = []
    for message_id, own in grouped.items():
        own.sort(key=lambda p: p.seq)
        first = own[0]
        out.append(
            WholeMessage(
                message_id=message_id,
                to=first.to,
                sender=first.sender,
                text="".join(p.text for p in own),
                parts=tuple(own),
                validity_seconds=first.validity_seconds,
                flash=first.flash,
            )
        )
    return out
