"""How a simulator route's URL shares out its outcomes (`simulator://?delivered=0.5`).

Shares named in the URL are taken as written; the shares not named split what is left, in the
proportions of the defaults. So `delivered=0.5` delivers half and fails the other half as
undelivered, expired and rejected do by default (4 : 2 : 1), `delivered=1` delivers everything,
and named shares adding up to more than 1 are scaled down to 1 (the others get nothing).
"""

from __future__ import annotations

from collections.abc import Mapping

# Outcomes by their URL parameter, with the shares a bare `simulator://` gives them.
DEFAULTS = {"delivered": 0.93, "undeliv": 0.04, "expired": 0.02, "rejectd": 0.01}


def shares_from_params(params: Mapping[str, str]) -> dict[str, float]:
    """The shares a route URL's parameters call for; ValueError saying which one is wrong."""
    named: dict[str, float | None] = {}
    for name in DEFAULTS:
        value = params.get(name)
        try:
            named[name] = None if value is None else float(value)
        except ValueError:
            raise ValueError(f"{name} must be a share between 0 and 1, not '{value}'") from None
    return outcome_shares(named, DEFAULTS)


def outcome_shares(named: Mapping[str, float | None], defaults: Mapping[str, float]) -> dict[str, float]:
    """Each outcome's share, adding up to 1, from the shares named (None: not in the URL)."""
    for name, share in named.items():
        if share is not None and share < 0:
            raise ValueError(f"the share of {name} cannot be negative ({share:g})")
    if all(share is None for share in named.values()):
        return _scaled({name: defaults[name] for name in named})
    given = {name: share for name, share in named.items() if share is not None}
    left = max(0.0, 1.0 - sum(given.values()))
    unnamed = {name: defaults[name] for name, share in named.items() if share is None}
    weight = sum(unnamed.values())
    shares = {
        name: (given[name] if name in given else (left * unnamed[name] / weight if weight else 0.0)) for name in named
    }
    return _scaled(shares)


def _scaled(shares: Mapping[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    if total <= 0:
        raise ValueError("the simulator's shares add up to nothing: name at least one above 0")
    return {name: share / total for name, share in shares.items()}
