from rest_framework import serializers


def query_params(serializer_class: type[serializers.Serializer], request) -> dict:
    """Validated query parameters (400 in the error format when invalid).

    A plain dict, not the QueryDict: DRF treats "?year=" in a QueryDict as an omitted
    parameter, which the schema does not promise; here it is an invalid value.
    """
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
