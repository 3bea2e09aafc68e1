from django.http import JsonResponse
from rest_framework import generics
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Item
from .serializers import ItemSerializer


def not_found(request, exception):
    """handler404: the contract's 404 for a path that matches no pattern."""
    return JsonResponse({"detail": "Not found"}, status=404)


class HelloView(APIView):
    def get(self, request):
        return Response({"message": "Hello, World!"})


class EchoView(APIView):
    def post(self, request):
        # An empty body parses to {} in DRF; the contract treats it as "not JSON".
        if request.stream is None or not isinstance(request.data, dict):
            raise ParseError("body must be a JSON object")
        return Response(request.data)


class ItemListCreate(generics.ListCreateAPIView):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer


class ItemDetail(generics.RetrieveUpdateDestroyAPIView):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    # The contract has no PATCH: leave it out, so it is a 405 as on the other stacks.
    http_method_names = ["get", "put", "delete", "head", "options"]
