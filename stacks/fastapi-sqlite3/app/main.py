"""FastAPI + sqlite3 (DB-API 2.0) implementation of stacks/CONTRACT.md.

Pydantic models validate bodies and shape responses; SQL is written by hand.
One connection per request through a dependency; sync `def` endpoints for
database work (FastAPI runs them in its thread pool).
"""

import email.message
import os
import sqlite3
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")


class ItemIn(BaseModel):
    name: str
    description: str
    price: float
    quantity: int


class Item(ItemIn):
    id: int


def get_db():
    conn = sqlite3.connect(DATABASE_PATH, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


DbDep = Annotated[sqlite3.Connection, Depends(get_db)]

app = FastAPI()

# ---- the contract's answers outside the happy path (stacks/CONTRACT.md, "Requests the
# contract refuses"); route-level or error-path only, nothing here runs on a request that
# succeeds ----

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


class ItemIdConvertor(Convertor):
    """`{item_id:item_id}`: an id SQLite can hold. Any other segment (`abc`, `-1`, `1.0`, an id
    beyond 2**63 - 1) matches no route, so it is the 404 of an unknown path."""

    regex = numerals_up_to(MAX_ID)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("item_id", ItemIdConvertor())


def read_as_json(content_type: str | None) -> bool:
    """FastAPI's own test (fastapi.routing) for reading a request body as JSON."""
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


@app.exception_handler(StarletteHTTPException)
async def contract_http_error(request: Request, exc: StarletteHTTPException):
    if exc.status_code == status.HTTP_404_NOT_FOUND:
        return JSONResponse({"detail": "Not found"}, status_code=exc.status_code)
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        # Starlette's Allow names the methods of the first route whose path matched; the
        # contract's names those of every route on the path.
        allowed = {
            method
            for route in request.app.routes
            if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE
            for method in route.methods
        }
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers={"Allow": ", ".join(sorted(allowed))})
    return await http_exception_handler(request, exc)


@app.exception_handler(RequestValidationError)
async def contract_validation_error(request: Request, exc: RequestValidationError):
    # A body FastAPI did not read as JSON because of its Content-Type fails validation as
    # bytes; the contract answers that with 415, whatever the body held.
    if not read_as_json(request.headers.get("content-type")) and any(
        tuple(error["loc"][:1]) == ("body",) for error in exc.errors()
    ):
        return JSONResponse({"detail": "Unsupported Media Type"},
                            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
    return await request_validation_exception_handler(request, exc)

COLUMNS = "id, name, description, price, quantity"


def not_found() -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Not found")


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.post("/echo")
async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return payload


@app.get("/items/", response_model=list[Item])
def read_items(db: DbDep):
    rows = db.execute(f"SELECT {COLUMNS} FROM items ORDER BY id").fetchall()
    return [dict(row) for row in rows]


@app.get("/items/{item_id:item_id}", response_model=Item)
def read_item(item_id: int, db: DbDep):
    row = db.execute(f"SELECT {COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise not_found()
    return dict(row)


@app.post("/items/", response_model=Item, status_code=status.HTTP_201_CREATED)
def create_item(item: ItemIn, db: DbDep):
    with db:
        cur = db.execute(
            "INSERT INTO items (name, description, price, quantity) VALUES (?, ?, ?, ?)",
            (item.name, item.description, item.price, item.quantity),
        )
    return {"id": cur.lastrowid, **item.model_dump()}


@app.put("/items/{item_id:item_id}", response_model=Item)
def update_item(item_id: int, item: ItemIn, db: DbDep):
    with db:
        cur = db.execute(
            "UPDATE items SET name = ?, description = ?, price = ?, quantity = ? WHERE id = ?",
            (item.name, item.description, item.price, item.quantity, item_id),
        )
    if cur.rowcount == 0:
        raise not_found()
    return {"id": item_id, **item.model_dump()}


@app.delete("/items/{item_id:item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, db: DbDep) -> Response:
    with db:
        cur = db.execute("DELETE FROM items WHERE id = ?", (item_id,))
    if cur.rowcount == 0:
        raise not_found()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
