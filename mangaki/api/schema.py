"""OpenAPI generation: every operation documents the shared error responses."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

from mangaki.api.serializers import ErrorSerializer

# 400 bad input, 401 no/invalid token, 403 CSRF or forbidden, 404 unknown object,
# 413 body too large, 414 address too long, 429 throttled: any operation may answer these,
# always in the ErrorSerializer shape.
ERROR_CODES = ("400", "401", "403", "404", "405", "406", "413", "414", "415", "429")


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code in ERROR_CODES:
                responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "mangaki.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "'Token <key>', with a key created at /account/tokens/",
        }
