"""The Django Ninja API of stacks/CONTRACT.md: schemas for bodies and responses, the Django
ORM for the table, sync operations (served by Gunicorn's threads, like django-drf)."""

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Body, ModelSchema, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from .models import Item


class ItemIn(Schema):
    name: str
    description: str
    price: float
    quantity: int


class ItemOut(ModelSchema):
    class Meta:
        model = Item
        fields = ["id", "name", "description", "price", "quantity"]


# ---- the contract's answers outside the happy path (stacks/CONTRACT.md, "Requests the
# contract refuses") ----


def declared_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


class JsonParser(Parser):
    """Ninja parses any body as JSON whatever its Content-Type; the contract answers 415 for
    one not sent as JSON (Ninja turns the refusal into its 400, mapped below)."""

    def parse_body(self, request: HttpRequest):
        if not declared_json(request):
            raise ValueError("not application/json")
        return super().parse_body(request)


api = NinjaAPI(parser=JsonParser(), docs_url=None, openapi_url=None)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    # An empty body reaches validation without the parser; 415 if it was not sent as JSON.
    if not declared_json(request):
        return api.create_response(request, {"detail": "Unsupported Media Type"}, status=415)
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc):
    # Ninja's 400 "Cannot parse request body": 415 for a body not sent as JSON, else 422.
    if exc.status_code == 400:
        if not declared_json(request):
            return api.create_response(request, {"detail": "Unsupported Media Type"}, status=415)
        return api.create_response(request, {"detail": str(exc)}, status=422)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def not_found_page(request, exception):
    """handler404: the contract's 404 for a path that matches no pattern."""
    return JsonResponse({"detail": "Not found"}, status=404)


# ---- the endpoints ----


@api.get("/hello")
def hello(request):
    return {"message": "Hello, World!"}


@api.post("/echo")
def echo(request, payload: Body[dict[str, Any]]):
    return payload


@api.get("/items/", response=list[ItemOut])
def read_items(request):
    return Item.objects.order_by("id")


@api.get("/items/{item_id:item_id}", response=ItemOut)
def read_item(request, item_id: int):
    return get_object_or_404(Item, id=item_id)


@api.post("/items/", response={201: ItemOut})
def create_item(request, payload: ItemIn):
    return 201, Item.objects.create(**payload.dict())


@api.put("/items/{item_id:item_id}", response=ItemOut)
def update_item(request, item_id: int, payload: ItemIn):
    item = get_object_or_404(Item, id=item_id)
    for field, value in payload.dict().items():
        setattr(item, field, value)
    item.save()
    return item


@api.delete("/items/{item_id:item_id}", response={204: None})
def delete_item(request, item_id: int):
    item = get_object_or_404(Item, id=item_id)
    item.delete()
    return 204, None


# ---- 405: Ninja answers a method a path lacks with a plain-text 405 (its Allow is right);
# these operations give the contract's JSON instead. They are only ever chosen for a
# method no endpoint of the path serves, so nothing here runs on a contract request. ----

CHECKED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def refuse_other_methods(path: str, allowed: list[str], takes_id: bool = False) -> None:
    headers = {"Allow": ", ".join(allowed)}

    if takes_id:
        def not_allowed(request, item_id: int):
            return JsonResponse({"detail": "Method not allowed"}, status=405, headers=headers)
    else:
        def not_allowed(request):
            return JsonResponse({"detail": "Method not allowed"}, status=405, headers=headers)

    api.api_operation([m for m in CHECKED_METHODS if m not in allowed], path, include_in_schema=False)(not_allowed)


refuse_other_methods("/hello", ["GET"])
refuse_other_methods("/echo", ["POST"])
refuse_other_methods("/items/", ["GET", "POST"])
refuse_other_methods("/items/{item_id:item_id}", ["GET", "PUT", "DELETE"], takes_id=True)
