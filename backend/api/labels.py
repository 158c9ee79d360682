"""/labels/<token>: a package's label, or one PDF of a wave's labels, behind a signed link from the pack list.

A person opens it from a sheet, so every refusal is a page, not JSON. The token is the credential (like a
signed download link): it names one package or wave and is checked in constant time; what it may serve
is checked on every open (backend/services/labels.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from backend import runtime
from backend.api.oauth import page
from backend.errors import OrderDeckError
from backend.platforms.fulfilment import DocumentKind
from backend.services import labels

bp = Blueprint("labels", __name__)
EXTENSIONS = {"application/pdf": "pdf", "text/plain": "zpl"}


@bp.get("/labels/<token>")
def label(token: str) -> ResponseReturnValue:
    try:
        wanted = labels.Wanted(
            kind=DocumentKind(request.args.get("document", DocumentKind.LABEL.value)),
            size=request.args.get("size", "").upper(),
            format=request.args.get("format", "").upper(),
        )
    except ValueError:
        choices = ", ".join(k.value for k in DocumentKind)
        return page("Label not shown", f"document must be one of {choices}", 400)
    try:
        found = labels.documents(
            runtime.database(), runtime.platform().interactive(), runtime.secret_box(), token, wanted
        )
    except OrderDeckError as exc:
        return page("Label not shown", exc.message, exc.status)
    name = f"{token.partition('-')[0]}-{wanted.kind.value}.{EXTENSIONS.get(found.media_type, 'bin')}"
    return Response(
        found.content,
        mimetype=found.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, no-store",  # a label shows the buyer's address
            "Referrer-Policy": "no-referrer",
        },
    )
