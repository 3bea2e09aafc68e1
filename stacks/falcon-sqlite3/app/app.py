"""Falcon (WSGI) + sqlite3 (DB-API 2.0) implementation of stacks/CONTRACT.md.

Resource classes with `on_<method>` responders, as Falcon's tutorial writes them; one
connection per request; bodies read with `req.get_media()` and checked by hand (Falcon
has no validation layer).
"""

import os
import re
import sqlite3
from contextlib import contextmanager

import falcon
import falcon.media
from falcon.routing import BaseConverter

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")
COLUMNS = "id, name, description, price, quantity"


@contextmanager
def connect():
    conn = sqlite3.connect(DATABASE_PATH)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


# ---- the contract's answers outside the happy path (stacks/CONTRACT.md, "Requests the
# contract refuses"); route-level or error-path only ----

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


class ItemIdConverter(BaseConverter):
    """`{item_id:item_id}`: an id SQLite can hold, in ASCII digits (Falcon's `int` converter
    takes `+1`, `-1` and non-ASCII digits). Any other segment matches no route, so it is the
    404 of an unknown path."""

    ITEM_ID = re.compile(numerals_up_to(MAX_ID))

    def convert(self, value: str):
        return int(value) if self.ITEM_ID.fullmatch(value) else None


def error_serializer(_req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    """Every Falcon HTTP error as `{"detail": ...}` (its headers, e.g. the 405's Allow, kept);
    the contract's exact body for a 404."""
    if exc.status_code == 404:
        detail = "Not found"
    else:
        detail = exc.description or exc.title
    resp.media = {"detail": detail}
    resp.content_type = falcon.MEDIA_JSON


def json_object(req: falcon.Request) -> dict:
    """The body as a JSON object. A Content-Type other than JSON is Falcon's own 415 (only the
    JSON media handler is installed); an empty or malformed body, or JSON that is not an
    object, is 422."""
    try:
        data = req.get_media()
    except (falcon.MediaNotFoundError, falcon.MediaMalformedError) as exc:
        raise falcon.HTTPUnprocessableEntity(description=exc.description or exc.title) from exc
    if not isinstance(data, dict):
        raise falcon.HTTPUnprocessableEntity(description="body must be a JSON object")
    return data


def item_fields(req: falcon.Request) -> tuple[str, str, float, int]:
    data = json_object(req)
    for field in ("name", "description"):
        if not isinstance(data.get(field), str):
            raise falcon.HTTPUnprocessableEntity(description=f"{field}: a string is required")
    price, quantity = data.get("price"), data.get("quantity")
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise falcon.HTTPUnprocessableEntity(description="price: a number is required")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise falcon.HTTPUnprocessableEntity(description="quantity: an integer is required")
    return data["name"], data["description"], float(price), quantity


def item_json(item_id: int, fields: tuple[str, str, float, int]) -> dict:
    name, description, price, quantity = fields
    return {"id": item_id, "name": name, "description": description, "price": price, "quantity": quantity}


# ---- the resources ----


class HelloResource:
    def on_get(self, _req, resp):
        resp.media = {"message": "Hello, World!"}


class EchoResource:
    def on_post(self, req, resp):
        resp.media = json_object(req)


class ItemsResource:
    def on_get(self, _req, resp):
        with connect() as db:
            rows = db.execute(f"SELECT {COLUMNS} FROM items ORDER BY id").fetchall()
        resp.media = [dict(row) for row in rows]

    def on_post(self, req, resp):
        fields = item_fields(req)
        with connect() as db, db:
            cur = db.execute("INSERT INTO items (name, description, price, quantity) VALUES (?, ?, ?, ?)", fields)
        resp.media = item_json(cur.lastrowid, fields)
        resp.status = falcon.HTTP_201


class ItemResource:
    def on_get(self, _req, resp, item_id: int):
        with connect() as db:
            row = db.execute(f"SELECT {COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise falcon.HTTPNotFound()
        resp.media = dict(row)

    def on_put(self, req, resp, item_id: int):
        fields = item_fields(req)
        with connect() as db, db:
            cur = db.execute(
                "UPDATE items SET name = ?, description = ?, price = ?, quantity = ? WHERE id = ?",
                (*fields, item_id),
            )
        if cur.rowcount == 0:
            raise falcon.HTTPNotFound()
        resp.media = item_json(item_id, fields)

    def on_delete(self, _req, resp, item_id: int):
        with connect() as db, db:
            cur = db.execute("DELETE FROM items WHERE id = ?", (item_id,))
        if cur.rowcount == 0:
            raise falcon.HTTPNotFound()
        resp.status = falcon.HTTP_204


app = falcon.App()
# Only JSON bodies: Falcon's default handlers also read forms, which the contract answers with 415.
app.req_options.media_handlers = falcon.media.Handlers({falcon.MEDIA_JSON: falcon.media.JSONHandler()})
app.router_options.converters["item_id"] = ItemIdConverter
app.set_error_serializer(error_serializer)
app.add_route("/hello", HelloResource())
app.add_route("/echo", EchoResource())
app.add_route("/items/", ItemsResource())
app.add_route("/items/{item_id:item_id}", ItemResource())
