"""`wildchat-dagster explore`: a read-only web page and JSON API over the published release.

Serves the explorer's index and the published Parquet files only: no warehouse
stage, so no raw IP and no unredacted text. With `operator=True` the
conversation view also carries the stage-by-stage account `explain` prints
(ids, decisions, rule names; never message text or IPs), read from the warehouse.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from wildchat_dagster.core.explore.conversation import published_conversation
from wildchat_dagster.core.explore.search import BadQuery, Query, connect, locate, search
from wildchat_dagster.core.storage.layout import DataLayout

SECURITY_HEADERS = {
    # The page needs nothing from the network: scripts, styles and data come from this server.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page() -> str:
    return resources.files("wildchat_dagster.cli.explorer").joinpath("page.html").read_text(encoding="utf-8")


def create_app(layout: DataLayout, index: Path, *, operator: bool = False) -> Starlette:
    con = connect(index)
    lock = threading.Lock()  # one SQLite connection, used by one request at a time
    page = _page()

    def json(body: dict, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=SECURITY_HEADERS)

    async def home(request: Request) -> Response:
        return HTMLResponse(page, headers=SECURITY_HEADERS)

    def api_search(request: Request) -> Response:
        try:
            query = Query.from_params(dict(request.query_params))
        except BadQuery as error:
            return json({"error": str(error)}, 400)
        with lock:
            return json(search(con, query).to_dict())

    def api_conversation(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            with lock:
                located = locate(con, key)
        except BadQuery as error:
            return json({"error": str(error)}, 400)
        if not located:
            return json({"error": f"{key} is not in the published release"}, 404)
        body = {"key": key, "conversations": [published_conversation(layout, row) for row in located]}
        if operator:
            body["account"] = _account(layout, key)
        return json(body)

    async def health(request: Request) -> Response:
        return json({"ok": True})

    return Starlette(routes=[
        Route("/", home),
        Route("/conversation/{key}", home),
        Route("/api/search", api_search),
        Route("/api/conversation/{key}", api_conversation),
        Route("/api/health", health),
    ])


def _account(layout: DataLayout, key: str) -> dict | str:
    """explain's account for an operator (who can read the warehouse anyway)."""
    from wildchat_dagster.core.lineage.explain import explain
    from wildchat_dagster.core.lineage.render import render_text
    from wildchat_dagster.core.storage.warehouse import Warehouse

    try:
        return render_text(explain(Warehouse(layout), key))
    except Exception as error:  # an account is an aid: the conversation still shows without it
        return f"no stage-by-stage account: {type(error).__name__}: {error}"


def serve(layout: DataLayout, index: Path, host: str, port: int, *, operator: bool = False) -> None:
    import uvicorn

    uvicorn.run(create_app(layout, index, operator=operator), host=host, port=port, log_level="warning")
