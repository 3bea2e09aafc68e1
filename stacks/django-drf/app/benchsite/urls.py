from django.urls import path

from items import views

urlpatterns = [
    path("hello", views.HelloView.as_view()),
    path("echo", views.EchoView.as_view()),
    path("items/", views.ItemListCreate.as_view()),
    path("items/<int:pk>", views.ItemDetail.as_view()),
]
