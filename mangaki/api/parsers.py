"""JSON bodies: DRF's parser, with a clear 400 for the inputs that made it crash."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # [[[[...]]]] thousands deep exhausts the decoder's stack (a 500 otherwise).
            raise ParseError("The JSON is nested too deeply.") from None
