"""The one place that decides between an htmx fragment and the whole page."""

from __future__ import annotations

from flask import make_response, render_template, request, session


def render(page: str, fragment: str | None = None, *, status: int = 200, **context):
    """Render ``fragment`` for an htmx request that targets it, else the full ``page``.

    The page includes the fragment, so the first render and later swaps come from the
    same file. ``Vary: HX-Request`` keeps caches from mixing the two.
    """
    is_fragment = fragment is not None and bool(request.htmx) and not request.htmx.boosted
    body = render_template(fragment if is_fragment else page, **context)
    if is_fragment and session.get("_flashes"):  # said by this request (a refusal naming no field):
        body += render_template("_flash.html", oob=True)  # shown now, out of band, not on a later page
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str):
    """Redirect that also works for htmx requests (which would otherwise swap the target page in)."""
    from flask import redirect

    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)
