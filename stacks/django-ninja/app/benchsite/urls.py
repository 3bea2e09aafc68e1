from django.urls import path, register_converter

from items.converters import ItemIdConverter

register_converter(ItemIdConverter, "item_id")

from items.api import api  # noqa: E402  (its paths use the converter registered above)

urlpatterns = [
    path("", api.urls),
]

# A path no pattern matches answers the contract's JSON 404, not Django's HTML page.
handler404 = "items.api.not_found_page"
