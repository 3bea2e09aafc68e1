"""Map DRF's errors onto stacks/CONTRACT.md: 422 for any invalid body, a fixed 404 body."""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def contract_exception_handler(exc, context):
    if isinstance(exc, Http404):
        return Response({"detail": "Not found"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
        return Response({"detail": exc.detail}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    return exception_handler(exc, context)
