"""Views that answer a document (a PDF or a PNG) instead of JSON.

Clients send `Accept: application/pdf`, `image/png` or `*/*` (API.md, Receipts). Such a view answers
its document whatever Accept says, and its errors (404, 409, 401, 429 …) in the JSON error shape like
every other endpoint: DRF's content negotiation would otherwise pick a renderer from Accept and fail to
render the error body as a PDF, or answer 406.
"""

from django.http import HttpResponse
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView


class ErrorsAsJSON(BaseContentNegotiation):
    """Always the view's first renderer (JSON, for its errors), whatever the client asked for."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DocumentView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ErrorsAsJSON


def document_response(content: bytes, *, media_type: str, filename: str) -> HttpResponse:
    """A document shown in place (a phone's viewer, a browser tab); it holds personal data: not cached."""
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
