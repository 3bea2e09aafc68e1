"""Flask + sqlite3 (DB-API 2.0) implementation of stacks/CONTRACT.md.

One connection per request, kept on `flask.g` and closed on teardown, as in
Flask's "Using SQLite 3 with Flask" pattern. Bodies are checked by hand.
"""

import os
import sqlite3

from flask import Flask, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")
COLUMNS = "id, name, description, price, quantity"

app = Flask(__name__)

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


class ItemIdConverter(IntegerConverter):
    """`<item_id:item_id>`: an id SQLite can hold, in ASCII digits (Werkzeug's `int` takes any
    Unicode digit). Any other segment matches no route, so it is the 404 of an unknown path.
    The range is in the regex, not in `max=`: a converter that refuses a value after the path
    matched makes Werkzeug answer 405 for a method whose rule comes after another's."""

    regex = numerals_up_to(MAX_ID)


app.url_map.converters["item_id"] = ItemIdConverter


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE_PATH)
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(_exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


class InvalidBody(Exception):
    pass


@app.errorhandler(InvalidBody)
def invalid_body(exc):
    return jsonify(detail=str(exc)), 422


@app.errorhandler(404)
def not_found(_exc):
    return jsonify(detail="Not found"), 404


@app.errorhandler(HTTPException)
def http_error(exc):
    """Werkzeug's other HTTP errors (405, 415, ...) as JSON, their headers (Allow) kept."""
    response = exc.get_response()
    response.data = app.json.dumps({"detail": exc.name})
    response.content_type = "application/json"
    return response


def json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        if not request.is_json:
            raise UnsupportedMediaType()
        raise InvalidBody("body must be a JSON object")
    return data


def item_fields() -> tuple[str, str, float, int]:
    data = json_object()
    for field in ("name", "description"):
        if not isinstance(data.get(field), str):
            raise InvalidBody(f"{field}: a string is required")
    price, quantity = data.get("price"), data.get("quantity")
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise InvalidBody("price: a number is required")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidBody("quantity: an integer is required")
    return data["name"], data["description"], float(price), quantity


def item_json(item_id: int, fields: tuple[str, str, float, int]) -> dict:
    name, description, price, quantity = fields
    return {"id": item_id, "name": name, "description": description, "price": price, "quantity": quantity}


@app.get("/hello")
def hello():
    return jsonify(message="Hello, World!")


@app.post("/echo")
def echo():
    return jsonify(json_object())


@app.get("/items/")
def read_items():
    rows = get_db().execute(f"SELECT {COLUMNS} FROM items ORDER BY id").fetchall()
    return jsonify([dict(row) for row in rows])


@app.get("/items/<item_id:item_id>")
def read_item(item_id: int):
    row = get_db().execute(f"SELECT {COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(dict(row))


@app.post("/items/")
def create_item():
    fields = item_fields()
    db = get_db()
    with db:
        cur = db.execute("INSERT INTO items (name, description, price, quantity) VALUES (?, ?, ?, ?)", fields)
    return jsonify(item_json(cur.lastrowid, fields)), 201


@app.put("/items/<item_id:item_id>")
def update_item(item_id: int):
    fields = item_fields()
    db = get_db()
    with db:
        cur = db.execute(
            "UPDATE items SET name = ?, description = ?, price = ?, quantity = ? WHERE id = ?",
            (*fields, item_id),
        )
    if cur.rowcount == 0:
        abort(404)
    return jsonify(item_json(item_id, fields))


@app.delete("/items/<item_id:item_id>")
def delete_item(item_id: int):
    db = get_db()
    with db:
        cur = db.execute("DELETE FROM items WHERE id = ?", (item_id,))
    if cur.rowcount == 0:
        abort(404)
    return "", 204
