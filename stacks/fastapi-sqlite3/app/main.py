"""FastAPI + sqlite3 (DB-API 2.0) implementation of stacks/CONTRACT.md.

Pydantic models validate bodies and shape responses; SQL is written by hand.
One connection per request through a dependency; sync `def` endpoints for
database work (FastAPI runs them in its thread pool).
"""

import os
import sqlite3
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Response, status
from pydantic import BaseModel

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


@app.get("/items/{item_id}", response_model=Item)
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


@app.put("/items/{item_id}", response_model=Item)
def update_item(item_id: int, item: ItemIn, db: DbDep):
    with db:
        cur = db.execute(
            "UPDATE items SET name = ?, description = ?, price = ?, quantity = ? WHERE id = ?",
            (item.name, item.description, item.price, item.quantity, item_id),
        )
    if cur.rowcount == 0:
        raise not_found()
    return {"id": item_id, **item.model_dump()}


@app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, db: DbDep) -> Response:
    with db:
        cur = db.execute("DELETE FROM items WHERE id = ?", (item_id,))
    if cur.rowcount == 0:
        raise not_found()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
