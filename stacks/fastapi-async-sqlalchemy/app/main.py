"""FastAPI + SQLAlchemy asyncio (aiosqlite) implementation of stacks/CONTRACT.md.

Written the way SQLAlchemy's asyncio documentation and FastAPI's docs do it: a
declarative model mapped onto the existing table, an `AsyncSession` per request
from an `async_sessionmaker` dependency, `async def` endpoints throughout (the
database is awaited on the event loop, no thread pool). Pydantic models validate
bodies and shape responses.
"""

import email.message
import os
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

DATABASE_PATH = os.environ.get("DATABASE_PATH", "/data/items.db")

engine = create_async_engine(f"sqlite+aiosqlite:///{DATABASE_PATH}")
async_session = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Item(Base):
    """The shared `items` table (built by stacks/common/seed.py; never created here)."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    description: Mapped[str]
    price: Mapped[float]
    quantity: Mapped[int]


class ItemIn(BaseModel):
    name: str
    description: str
    price: float
    quantity: int


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    price: float
    quantity: int


async def get_session():
    async with async_session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

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

def not_found() -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Not found")


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.post("/echo")
async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return payload


@app.get("/items/", response_model=list[ItemPublic])
async def read_items(session: SessionDep):
    return (await session.scalars(select(Item).order_by(Item.id))).all()


@app.get("/items/{item_id:item_id}", response_model=ItemPublic)
async def read_item(item_id: int, session: SessionDep):
    item = await session.get(Item, item_id)
    if item is None:
        raise not_found()
    return item


@app.post("/items/", response_model=ItemPublic, status_code=status.HTTP_201_CREATED)
async def create_item(item: ItemIn, session: SessionDep):
    db_item = Item(**item.model_dump())
    session.add(db_item)
    await session.commit()
    return db_item


@app.put("/items/{item_id:item_id}", response_model=ItemPublic)
async def update_item(item_id: int, item: ItemIn, session: SessionDep):
    db_item = await session.get(Item, item_id)
    if db_item is None:
        raise not_found()
    for field, value in item.model_dump().items():
        setattr(db_item, field, value)
    await session.commit()
    return db_item


@app.delete("/items/{item_id:item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: int, session: SessionDep) -> Response:
    db_item = await session.get(Item, item_id)
    if db_item is None:
        raise not_found()
    await session.delete(db_item)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
