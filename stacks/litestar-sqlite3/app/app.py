"""Litestar + sqlite3 (DB-API 2.0) implementation of stacks/CONTRACT.md.

msgspec structs validate bodies (Litestar's native models); SQL is written by hand.
Database handlers are sync and run in Litestar's thread pool (`sync_to_thread=True`,
as Litestar's docs advise for blocking I/O), each opening one connection.
"""

import os
import re
import sqlite3
from contextlib import contextmanager
from typing import Any

import msgspec
from litestar import Controller, Litestar, Request, Response, delete, get, post, put
from litestar.exceptions import (
    ClientException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")
COLUMNS = "id, name, description, price, quantity"


class ItemIn(msgspec.Struct):
    name: str
    description: str
    price: float
    quantity: int


@contextmanager
def connect():
    conn = sqlite3.connect(DATABASE_PATH)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


# ---- the contract's answers outside the happy path (stacks/CONTRACT.md, "Requests the
# contract refuses") ----

MAX_ID = 2**63 - 1  # the top of SQLite's INTEGER range


def numerals_up_to(bound: int) -> str:
    """A regex for the decimal numerals of 0..bound (ASCII digits, leading zeros allowed)."""
    digits = str(bound)
    n = len(digits)
    alternatives = [f"[0-9]{{1,{n - 1}}}"] if n > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            alternatives.append(f"{digits[:i]}[0-{int(digit) - 1}][0-9]{{{n - 1 - i}}}")
    alternatives.append(digits)
    return "0*(?:" + "|".join(alternatives) + ")"


ITEM_ID = re.compile(numerals_up_to(MAX_ID))


def item_id_of(segment: str) -> int:
    """Litestar has no custom path converters, and its `int` reads `+1` or `١` as an id, so the
    route takes the segment as `str` and anything that is not an id SQLite can hold is the
    404 of an unknown path."""
    if ITEM_ID.fullmatch(segment) is None:
        raise NotFoundException()
    return int(segment)


def json_body(request: Request) -> None:
    """Litestar reads a body as JSON whatever its Content-Type; the contract answers 415."""
    if request.content_type[0] != "application/json":
        raise ClientException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail="Unsupported Media Type")


def not_found(_request: Request, _exc: Exception) -> Response:
    return Response({"detail": "Not found"}, status_code=HTTP_404_NOT_FOUND)


def method_not_allowed(_request: Request, exc: MethodNotAllowedException) -> Response:
    # Litestar's own 405 names the path's methods in Allow; only the body's shape changes.
    return Response({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def invalid_body(request: Request, exc: ClientException) -> Response:
    # Litestar answers 400 for a body it cannot read (malformed JSON) or validate; the
    # contract 422, or 415 when the body was not sent as JSON.
    if request.content_type[0] != "application/json":
        return Response({"detail": "Unsupported Media Type"}, status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE)
    return Response({"detail": exc.detail, "errors": exc.extra or []}, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


# ---- the endpoints ----


@get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@post("/echo", status_code=200)
async def echo(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    json_body(request)
    return data


class ItemController(Controller):
    """The /items/ endpoints. One Controller, so Litestar registers each route once: a handler
    registered on its own app.register() call is wrapped for sync_to_thread again whenever
    another handler joins its path (Litestar 2.25), and then returns a coroutine (500)."""

    path = "/items"

    @get("/", sync_to_thread=True)
    def read_items(self) -> list[dict[str, Any]]:
        with connect() as db:
            rows = db.execute(f"SELECT {COLUMNS} FROM items ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    @get("/{item_id:str}", sync_to_thread=True)
    def read_item(self, item_id: str) -> dict[str, Any]:
        key = item_id_of(item_id)
        with connect() as db:
            row = db.execute(f"SELECT {COLUMNS} FROM items WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise NotFoundException()
        return dict(row)

    @post("/", sync_to_thread=True)
    def create_item(self, request: Request, data: ItemIn) -> dict[str, Any]:
        json_body(request)
        with connect() as db, db:
            cur = db.execute(
                "INSERT INTO items (name, description, price, quantity) VALUES (?, ?, ?, ?)",
                (data.name, data.description, data.price, data.quantity),
            )
        return {"id": cur.lastrowid, **msgspec.structs.asdict(data)}

    @put("/{item_id:str}", sync_to_thread=True)
    def update_item(self, request: Request, item_id: str, data: ItemIn) -> dict[str, Any]:
        key = item_id_of(item_id)
        json_body(request)
        with connect() as db, db:
            cur = db.execute(
                "UPDATE items SET name = ?, description = ?, price = ?, quantity = ? WHERE id = ?",
                (data.name, data.description, data.price, data.quantity, key),
            )
        if cur.rowcount == 0:
            raise NotFoundException()
        return {"id": key, **msgspec.structs.asdict(data)}

    @delete("/{item_id:str}", sync_to_thread=True)
    def delete_item(self, item_id: str) -> None:
        key = item_id_of(item_id)
        with connect() as db, db:
            cur = db.execute("DELETE FROM items WHERE id = ?", (key,))
        if cur.rowcount == 0:
            raise NotFoundException()


app = Litestar(
    route_handlers=[hello, echo, ItemController],
    exception_handlers={
        NotFoundException: not_found,
        MethodNotAllowedException: method_not_allowed,
        ValidationException: invalid_body,
        HTTP_400_BAD_REQUEST: invalid_body,
        HTTP_415_UNSUPPORTED_MEDIA_TYPE: invalid_body,
    },
    openapi_config=None,
)
