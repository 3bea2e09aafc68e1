from django.urls import path, register_converter

from items import views
from items.converters import ItemIdConverter

register_converter(ItemIdConverter, "item_id")

urlpatterns = [
    path("hello", views.HelloView.as_view()),
    path("echo", views.EchoView.as_view()),
    path("items/", views.ItemListCreate.as_view()),
    path("items/<item_id:pk>", views.ItemDetail.as_view()),
]

# A path no pattern matches answers the contract's JSON 404, not Django's HTML page.
handler404 = "items.views.not_found"
