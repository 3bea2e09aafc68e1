"""FastAPI + SQLModel implementation of stacks/CONTRACT.md.

Written the way the SQLModel tutorial "FastAPI and Pydantic" chapter does it:
table model + Pydantic models sharing a base, a Session dependency, sync `def`
endpoints for database work (FastAPI runs them in its thread pool).
"""

import email.message
import os
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlmodel import Field, Session, SQLModel, create_engine, select
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

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
def read_items(session: SessionDep):
    return session.exec(select(Item).order_by(Item.id)).all()


@app.get("/items/{item_id:item_id}", response_model=ItemPublic)
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


@app.put("/items/{item_id:item_id}", response_model=ItemPublic)
def update_item(item_id: int, item: ItemUpdate, session: SessionDep):
    db_item = session.get(Item, item_id)
    if db_item is None:
        raise not_found()
    db_item.sqlmodel_update(item.model_dump())
    session.add(db_item)
    session.commit()
    session.refresh(db_item)
    return db_item


@app.delete("/items/{item_id:item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(item_id: int, session: SessionDep) -> Response:
    db_item = session.get(Item, item_id)
    if db_item is None:
        raise not_found()
    session.delete(db_item)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
