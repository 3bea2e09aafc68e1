"""FastAPI + SQLModel implementation of stacks/CONTRACT.md.

Written the way the SQLModel tutorial "FastAPI and Pydantic" chapter does it:
table model + Pydantic models sharing a base, a Session dependency, sync `def`
endpoints for database work (FastAPI runs them in its thread pool).
"""

import os
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Response, status
from sqlmodel import Field, Session, SQLModel, create_engine, select

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")

engine = create_engine(
    f"sqlite:///{DATABASE_PATH}",
    connect_args={"check_same_thread": False},
)


class ItemBase(SQLModel):
    name: str
    description: str
    price: float
    quantity: int


class Item(ItemBase, table=True):
    __tablename__ = "items"

    id: int | None = Field(default=None, primary_key=True)


class ItemCreate(ItemBase):
    pass


class ItemUpdate(ItemBase):
    pass


class ItemPublic(ItemBase):
    id: int


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI()


def not_found() -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Not found")


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.post("/echo")
async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return payload


@app.get("/items/", response_model=list[ItemPublic])
def read_items(session: SessionDep):
    return session.exec(select(Item).order_by(Item.id)).all()


@app.get("/items/{item_id}", response_model=ItemPublic)
def read_item(item_id: int, session: SessionDep):
    item = session.get(Item, item_id)
    if item is None:
        raise not_found()
    return item


@app.post("/items/", response_model=ItemPublic, status_code=status.HTTP_201_CREATED)
def create_item(item: ItemCreate, session: SessionDep):
    db_item = Item.model_validate(item)
    session.add(db_item)
    session.commit()
    session.refresh(db_item)
    return db_item


@app.put("/items/{item_id}", response_model=ItemPublic)
def update_item(item_id: int, item: ItemUpdate, session: SessionDep):
    db_item = session.get(Item, item_id)
    if db_item is None:
        raise not_found()
    db_item.sqlmodel_update(item.model_dump())
    session.add(db_item)
    session.commit()
    session.refresh(db_item)
    return db_item


@app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, session: SessionDep) -> Response:
    db_item = session.get(Item, item_id)
    if db_item is None:
        raise not_found()
    session.delete(db_item)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
