from rest_framework import serializers
from rest_framework.pagination import CursorPagination as BaseCursorPagination

from core.messages import message


class CursorPagination(BaseCursorPagination):
    """`{next, previous, results}`, newest first; no COUNT(*) so a page costs the same at any size."""

    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # A page size that is not a whole number from 1 to max_page_size is refused, not silently replaced.
        valid = raw.isascii() and raw.isdigit() and len(request.query_params.getlist(self.page_size_query_param)) == 1
        if not valid or not 1 <= int(raw) <= self.max_page_size:
            detail = message("page_size_invalid", max=self.max_page_size)
            raise serializers.ValidationError({self.page_size_query_param: [serializers.ErrorDetail(detail, code="invalid")]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
