from rest_framework import serializers
from rest_framework.pagination import CursorPagination as BaseCursorPagination


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
        # A page size that is not a whole number from 1 is refused, not silently replaced.
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(request.query_params.getlist(self.page_size_query_param)) > 1:
            raise serializers.ValidationError(
                {self.page_size_query_param: [serializers.ErrorDetail("A whole number from 1.", code="invalid")]}
            )
        if int(raw) > self.max_page_size:
            raise serializers.ValidationError(
                {self.page_size_query_param: [serializers.ErrorDetail(f"At most {self.max_page_size}.", code="invalid")]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
