"""A short name for the browser a sign-in came from ("Firefox on Windows"), for the Account page.

Only for people to recognise their own devices: never a security decision."""

from __future__ import annotations

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe(user_agent: str | None) -> str:
    """ "Chrome on Linux", "Firefox", "Android", or "" when nothing is recognised."""
    ua = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in ua), "")
    system = next((name for mark, name in SYSTEMS if mark in ua), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system
