"""Page-number pagination with a bounded, client-chosen page size."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 24
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        # DRF silently falls back to the default on a bad page_size; we say so instead.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_page_number(self, request, paginator):
        # DRF reads "?page=" as the first page and "?page=last" as the last; the schema
        # promises a whole number from 1, so anything else is invalid.
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"page": ["Give a whole number from 1."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
