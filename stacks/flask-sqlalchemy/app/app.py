"""Flask + Flask-SQLAlchemy implementation of stacks/CONTRACT.md.

A declarative model, `db.session` scoped to the request, `db.get_or_404`,
the 2.x `db.select` query style from the Flask-SQLAlchemy docs. Bodies are
checked by hand (Flask has no built-in validation).
"""

import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.exceptions import HTTPException, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

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
app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{DATABASE_PATH}"
db.init_app(app)


class Item(db.Model):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    description: Mapped[str]
    price: Mapped[float]
    quantity: Mapped[int]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "price": self.price,
            "quantity": self.quantity,
        }


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


def item_fields() -> dict:
    data = json_object()
    for field in ("name", "description"):
        if not isinstance(data.get(field), str):
            raise InvalidBody(f"{field}: a string is required")
    price, quantity = data.get("price"), data.get("quantity")
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise InvalidBody("price: a number is required")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidBody("quantity: an integer is required")
    return {"name": data["name"], "description": data["description"], "price": float(price), "quantity": quantity}


@app.get("/hello")
def hello():
    return jsonify(message="Hello, World!")


@app.post("/echo")
def echo():
    return jsonify(json_object())


@app.get("/items/")
def read_items():
    items = db.session.execute(db.select(Item).order_by(Item.id)).scalars()
    return jsonify([item.to_dict() for item in items])


@app.get("/items/<item_id:item_id>")
def read_item(item_id: int):
    return jsonify(db.get_or_404(Item, item_id).to_dict())


@app.post("/items/")
def create_item():
    item = Item(**item_fields())
    db.session.add(item)
    db.session.commit()
    return jsonify(item.to_dict()), 201


@app.put("/items/<item_id:item_id>")
def update_item(item_id: int):
    item = db.get_or_404(Item, item_id)
    for field, value in item_fields().items():
        setattr(item, field, value)
    db.session.commit()
    return jsonify(item.to_dict())


@app.delete("/items/<item_id:item_id>")
def delete_item(item_id: int):
    item = db.get_or_404(Item, item_id)
    db.session.delete(item)
    db.session.commit()
    return "", 204
