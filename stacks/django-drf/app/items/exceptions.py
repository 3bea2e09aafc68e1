"""Map DRF's errors onto stacks/CONTRACT.md: 422 for any invalid body, 415 for a body that is
not declared JSON, a fixed 404 body."""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.mediatypes import media_type_matches
from rest_framework.views import exception_handler


def declared_not_json(request) -> bool:
    """The request names a Content-Type that DRF's JSONParser does not take."""
    content_type = request.content_type if request is not None else ""
    return bool(content_type) and not media_type_matches("application/json", content_type)


def contract_exception_handler(exc, context):
    if isinstance(exc, Http404):
        return Response({"detail": "Not found"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
        # DRF parses an empty body as {} without choosing a parser, so an empty text/plain
        # body fails here as invalid rather than as an unsupported media type.
        if declared_not_json(context.get("request")):
            return Response({"detail": "Unsupported Media Type"}, status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        return Response({"detail": exc.detail}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    return exception_handler(exc, context)
