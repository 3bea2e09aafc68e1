"""The API contract of stacks/CONTRACT.md, checked against each stack's real container.

Every test takes the `api` fixture, so each runs once per stack. Tests that write
remove what they created, so the seeded 1,500 items stay as they are between tests.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from seed import SEED_COUNT, seed_row

ITEM_KEYS = {"id", "name", "description", "price", "quantity"}
NOT_FOUND = {"detail": "Not found"}
MAX_ID = 2**63 - 1  # the largest id SQLite's INTEGER holds
MISSING_IDS = [0, 987654321, MAX_ID]

# A few seeded items written out literally, so a change of the seed formula shows here too.
SEEDED = {
    1: {"id": 1, "name": "Item 1", "description": "Seeded item number 1 of the pywebbench database",
        "price": 79.69, "quantity": 32},
    750: {"id": 750, "name": "Item 750", "description": "Seeded item number 750 of the pywebbench database",
          "price": 393.0, "quantity": 251},
    1500: {"id": 1500, "name": "Item 1500", "description": "Seeded item number 1500 of the pywebbench database",
           "price": 785.5, "quantity": 1},
}

NEW_ITEM = {"name": "Contract widget", "description": "made by the contract suite – ünïcode ✓", "price": 12.25,
            "quantity": 7}

INVALID_ITEM_BODIES = {
    "missing-field": {"name": "x", "description": "y", "price": 1.5},
    "empty-object": {},
    "name-null": {"name": None, "description": "y", "price": 1.5, "quantity": 1},
    "price-not-a-number": {"name": "x", "description": "y", "price": "cheap", "quantity": 1},
    "quantity-not-a-number": {"name": "x", "description": "y", "price": 1.5, "quantity": "many"},
    "quantity-fractional": {"name": "x", "description": "y", "price": 1.5, "quantity": 1.5},
    "json-array": [NEW_ITEM],
}
NOT_JSON_BODIES = {"garbage": b"this is { not json", "empty": b""}
JSON_HEADERS = {"Content-Type": "application/json"}


def assert_json(resp, status: int):
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:300]}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    return resp.json()


def assert_item_shape(item):
    assert set(item) == ITEM_KEYS, item
    assert type(item["id"]) is int
    assert type(item["name"]) is str
    assert type(item["description"]) is str
    assert type(item["price"]) is float
    assert type(item["quantity"]) is int


def expected_seed_item(item_id: int) -> dict:
    _, name, description, price, quantity = seed_row(item_id)
    return {"id": item_id, "name": name, "description": description, "price": price, "quantity": quantity}


def count_items(api) -> int:
    return len(assert_json(api.get("/items/"), 200))


def create(api, body: dict) -> dict:
    return assert_json(api.post("/items/", json=body), 201)


def remove(api, item_id: int) -> None:
    api.delete(f"/items/{item_id}")


# ---- GET /items/ : the seed ----

def test_get_all_returns_the_1500_seeded_items_in_id_order(api):
    items = assert_json(api.get("/items/"), 200)
    assert isinstance(items, list)
    assert len(items) == SEED_COUNT == 1500
    assert [it["id"] for it in items] == list(range(1, 1501))
    for item in items:
        assert_item_shape(item)
    assert items == [expected_seed_item(i) for i in range(1, 1501)]
    for item_id, literal in SEEDED.items():
        assert items[item_id - 1] == literal


# ---- GET /hello, POST /echo ----

def test_hello(api):
    assert assert_json(api.get("/hello"), 200) == {"message": "Hello, World!"}


def test_echo_returns_nested_json_unchanged(api):
    payload = {
        "string": "zażółć gęślą jaźń ✓",
        "int": -42,
        "float": 3.25,
        "big": 12345678901234,
        "bool": True,
        "null": None,
        "list": [1, "two", 3.5, None, False, [], {}],
        "nested": {"a": {"b": {"c": [{"d": "deep"}]}}, "empty": {}},
    }
    assert assert_json(api.post("/echo", json=payload), 200) == payload


def test_echo_empty_object(api):
    assert assert_json(api.post("/echo", json={}), 200) == {}


@pytest.mark.parametrize("body", [[1, 2], "text", 5], ids=["array", "string", "number"])
def test_echo_rejects_json_that_is_not_an_object(api, body):
    assert_json(api.post("/echo", json=body), 422)


@pytest.mark.parametrize("raw", NOT_JSON_BODIES.values(), ids=NOT_JSON_BODIES.keys())
def test_echo_rejects_a_body_that_is_not_json(api, raw):
    assert_json(api.post("/echo", data=raw, headers=JSON_HEADERS), 422)


# ---- GET /items/{id} ----

@pytest.mark.parametrize("item_id", sorted(SEEDED))
def test_get_one_seeded_item(api, item_id):
    item = assert_json(api.get(f"/items/{item_id}"), 200)
    assert_item_shape(item)
    assert item == SEEDED[item_id]


@pytest.mark.parametrize("item_id", MISSING_IDS)
def test_get_missing_item_is_404(api, item_id):
    assert assert_json(api.get(f"/items/{item_id}"), 404) == NOT_FOUND


# ---- POST /items/ ----

def test_create_then_read(api):
    before = count_items(api)
    created = create(api, NEW_ITEM)
    try:
        assert_item_shape(created)
        assert created["id"] > SEED_COUNT
        assert {k: v for k, v in created.items() if k != "id"} == NEW_ITEM
        assert assert_json(api.get(f"/items/{created['id']}"), 200) == created
        items = assert_json(api.get("/items/"), 200)
        assert len(items) == before + 1
        assert items[-1] == created
    finally:
        remove(api, created["id"])


def test_create_ignores_a_client_supplied_id_and_stores_price_as_float(api):
    created = create(api, {**NEW_ITEM, "id": 1, "price": 3})
    try:
        assert created["id"] > SEED_COUNT
        assert type(created["price"]) is float and created["price"] == 3.0
        assert assert_json(api.get(f"/items/{created['id']}"), 200) == created
        assert assert_json(api.get("/items/1"), 200) == SEEDED[1]
    finally:
        remove(api, created["id"])


@pytest.mark.parametrize("body", INVALID_ITEM_BODIES.values(), ids=INVALID_ITEM_BODIES.keys())
def test_create_rejects_invalid_body_with_422_and_stores_nothing(api, body):
    before = count_items(api)
    assert_json(api.post("/items/", json=body), 422)
    assert count_items(api) == before


@pytest.mark.parametrize("raw", NOT_JSON_BODIES.values(), ids=NOT_JSON_BODIES.keys())
def test_create_rejects_a_body_that_is_not_json(api, raw):
    before = count_items(api)
    assert_json(api.post("/items/", data=raw, headers=JSON_HEADERS), 422)
    assert count_items(api) == before


# ---- PUT /items/{id} ----

def test_update_then_read(api):
    created = create(api, NEW_ITEM)
    try:
        change = {"name": "Renamed", "description": "updated by the contract suite", "price": 99.5, "quantity": 0}
        updated = assert_json(api.put(f"/items/{created['id']}", json=change), 200)
        assert updated == {"id": created["id"], **change}
        assert assert_json(api.get(f"/items/{created['id']}"), 200) == updated
    finally:
        remove(api, created["id"])


@pytest.mark.parametrize("item_id", MISSING_IDS)
def test_update_missing_item_is_404(api, item_id):
    assert assert_json(api.put(f"/items/{item_id}", json=NEW_ITEM), 404) == NOT_FOUND


@pytest.mark.parametrize("body", INVALID_ITEM_BODIES.values(), ids=INVALID_ITEM_BODIES.keys())
def test_update_rejects_invalid_body_with_422_and_changes_nothing(api, body):
    assert_json(api.put("/items/1", json=body), 422)
    assert assert_json(api.get("/items/1"), 200) == SEEDED[1]


# ---- DELETE /items/{id} ----

def test_delete_then_404(api):
    before = count_items(api)
    created = create(api, NEW_ITEM)
    resp = api.delete(f"/items/{created['id']}")
    assert resp.status_code == 204, resp.text[:300]
    assert resp.content == b""
    assert assert_json(api.get(f"/items/{created['id']}"), 404) == NOT_FOUND
    assert assert_json(api.delete(f"/items/{created['id']}"), 404) == NOT_FOUND
    assert count_items(api) == before


@pytest.mark.parametrize("item_id", MISSING_IDS)
def test_delete_missing_item_is_404(api, item_id):
    assert assert_json(api.delete(f"/items/{item_id}"), 404) == NOT_FOUND


# ---- requests the contract refuses: the same answer from every stack ----

# Segments of /items/{id} that are not an id SQLite can hold: 404, like any unknown path.
NOT_IDS = {
    "letters": "abc",
    "negative": "-1",
    "plus-sign": "+1",
    "decimal-point": "1.0",
    "exponent": "1e3",
    "hexadecimal": "0x1",
    "leading-space": "%201",
    "arabic-indic-digit": "%D9%A1",
    "fullwidth-digit": "%EF%BC%91",
    "beyond-int64": str(MAX_ID + 1),
    "twenty-digits": "9" * 20,
}
UNKNOWN_PATHS = {"root": "/", "nope": "/nope", "hello-sub": "/hello/world", "item-sub": "/items/1/extra"}

# The methods each contract path answers, and the ones checked for a 405 elsewhere.
PATH_METHODS = {"/hello": {"GET"}, "/echo": {"POST"}, "/items/": {"GET", "POST"}, "/items/3": {"GET", "PUT", "DELETE"}}
CHECKED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UNSUPPORTED = [(path, method) for path, allowed in PATH_METHODS.items() for method in CHECKED_METHODS
               if method not in allowed]
PATH_LABEL = {"/hello": "hello", "/echo": "echo", "/items/": "items", "/items/3": "item"}

BODY_ENDPOINTS = {"echo": ("POST", "/echo"), "create": ("POST", "/items/"), "update": ("PUT", "/items/1")}
NOT_JSON_MEDIA_TYPES = {"text-plain": "text/plain", "form": "application/x-www-form-urlencoded"}
ONE_MIB = 1024 * 1024


def assert_detail(resp, status: int, context: str = "") -> dict:
    assert resp.status_code == status, f"{context}: expected {status}, got {resp.status_code}: {resp.text[:300]}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), (context, resp.headers)
    body = resp.json()
    assert isinstance(body, dict) and "detail" in body, (context, body)
    return body


def assert_nothing_changed(api, count_before: int) -> None:
    assert count_items(api) == count_before
    for item_id, literal in SEEDED.items():
        assert assert_json(api.get(f"/items/{item_id}"), 200) == literal
    assert assert_json(api.get("/items/3"), 200) == expected_seed_item(3)


@pytest.mark.parametrize("segment", NOT_IDS.values(), ids=NOT_IDS.keys())
def test_a_path_segment_that_is_not_an_id_is_404(api, segment):
    before = count_items(api)
    for method, kw in (("GET", {}), ("PUT", {"json": NEW_ITEM}), ("DELETE", {})):
        resp = api.request(method, f"/items/{segment}", **kw)
        assert assert_detail(resp, 404, f"{method} /items/{segment}") == NOT_FOUND
    assert count_items(api) == before


@pytest.mark.parametrize("segment", ["0001", "0" * 30 + "1"], ids=["leading-zeros", "thirty-leading-zeros"])
def test_an_id_with_leading_zeros_is_the_same_id(api, segment):
    assert assert_json(api.get(f"/items/{segment}"), 200) == SEEDED[1]


@pytest.mark.parametrize("path", UNKNOWN_PATHS.values(), ids=UNKNOWN_PATHS.keys())
def test_an_unknown_path_is_404(api, path):
    for method, kw in (("GET", {}), ("POST", {"json": NEW_ITEM})):
        assert assert_detail(api.request(method, path, **kw), 404, f"{method} {path}") == NOT_FOUND


@pytest.mark.parametrize(("path", "method"), UNSUPPORTED, ids=[f"{PATH_LABEL[p]}-{m}" for p, m in UNSUPPORTED])
def test_an_unsupported_method_is_405_with_allow(api, path, method):
    before = count_items(api)
    resp = api.request(method, path, json=NEW_ITEM)
    assert_detail(resp, 405, f"{method} {path}")
    allow = {m.strip().upper() for m in resp.headers.get("Allow", "").split(",") if m.strip()}
    # HEAD and OPTIONS are the frameworks' own additions (see CONTRACT.md); the rest is exact.
    assert allow - {"HEAD", "OPTIONS"} == PATH_METHODS[path], resp.headers.get("Allow")
    assert_nothing_changed(api, before)


@pytest.mark.parametrize("media_type", NOT_JSON_MEDIA_TYPES.values(), ids=NOT_JSON_MEDIA_TYPES.keys())
@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS.keys())
def test_a_body_declared_as_another_media_type_is_415(api, endpoint, media_type):
    method, path = BODY_ENDPOINTS[endpoint]
    before = count_items(api)
    for raw in (json.dumps(NEW_ITEM).encode(), b"", b"name=x&quantity=1"):
        resp = api.request(method, path, data=raw, headers={"Content-Type": media_type})
        assert_detail(resp, 415, f"{method} {path} {media_type} {raw[:20]!r}")
    assert_nothing_changed(api, before)


def test_a_json_media_type_with_parameters_is_json(api):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    assert assert_json(api.post("/echo", data=json.dumps({"a": [1]}).encode(), headers=headers), 200) == {"a": [1]}
    created = assert_json(api.post("/items/", data=json.dumps(NEW_ITEM).encode("utf-8"), headers=headers), 201)
    remove(api, created["id"])
    assert {k: v for k, v in created.items() if k != "id"} == NEW_ITEM


def one_mib_body(template: dict, key: str) -> tuple[dict, bytes]:
    """`template` with `key` padded so the JSON body is exactly 1 MiB."""
    base = len(json.dumps({**template, key: ""}).encode())
    body = {**template, key: "x" * (ONE_MIB - base)}
    raw = json.dumps(body).encode()
    assert len(raw) == ONE_MIB
    return body, raw


def test_a_body_of_one_mebibyte_is_served(api):
    payload, raw = one_mib_body({}, "filler")
    assert assert_json(api.post("/echo", data=raw, headers=JSON_HEADERS), 200) == payload
    item, raw = one_mib_body(NEW_ITEM, "description")
    created = assert_json(api.post("/items/", data=raw, headers=JSON_HEADERS), 201)
    remove(api, created["id"])
    assert {k: v for k, v in created.items() if k != "id"} == item


# ---- concurrency: writes from several clients at once all succeed ----

def test_concurrent_creates_and_deletes_all_succeed(api):
    # The paper's write scenarios run 10 virtual users at once against 2 workers x 2 threads;
    # SQLite's locking must not turn any of those requests into an error.
    before = count_items(api)
    bodies = [{**NEW_ITEM, "name": f"concurrent {i}"} for i in range(80)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(pool.map(lambda body: api.post("/items/", json=body), bodies))
        assert [r.status_code for r in created] == [201] * len(bodies)
        ids = [r.json()["id"] for r in created]
        assert len(set(ids)) == len(ids)
        deleted = list(pool.map(lambda item_id: api.delete(f"/items/{item_id}"), ids))
    assert [r.status_code for r in deleted] == [204] * len(ids)
    assert count_items(api) == before


# ---- every container starts from the same seed ----

def test_a_restarted_container_starts_from_the_seed_again(api):
    created = create(api, NEW_ITEM)
    assert assert_json(api.put("/items/1", json=NEW_ITEM), 200)["name"] == NEW_ITEM["name"]
    api.restart()
    assert count_items(api) == SEED_COUNT
    assert assert_json(api.get(f"/items/{created['id']}"), 404) == NOT_FOUND
    assert assert_json(api.get("/items/1"), 200) == SEEDED[1]
