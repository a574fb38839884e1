"""Request body parsing that a hostile body cannot turn into a 500.

A small, deeply nested JSON body (`{"email": [[[...1000 deep...]]]}`) exhausted the
recursion limit of the JSON decoder and of everything walking the result. Bodies are
refused (400, the JSON error shape) past a nesting depth no request of ours needs.
Kept apart from filot.api: DRF's settings import the parser while loading its views.
"""

import json
from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 16


def _json_depth_exceeds(value: Any, limit: int) -> bool:
    """Nesting deeper than `limit` (iterative: a hostile body cannot exhaust the stack)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def check_json_depth(data: Any) -> Any:
    """`data`, or ParseError (400) when nested deeper than any request of ours needs."""
    if _json_depth_exceeds(data, MAX_JSON_DEPTH):
        raise exceptions.ParseError("JSON nested too deeply.")
    return data


def loads_bounded(body: bytes | str) -> Any:
    """json.loads for request bodies: malformed or too deeply nested JSON is a 400."""
    try:
        return check_json_depth(json.loads(body))
    except RecursionError:
        raise exceptions.ParseError("JSON nested too deeply.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise exceptions.ParseError("The body is not valid JSON.") from error


class BoundedJSONParser(JSONParser):
    """JSON bodies, refused (400) when nested too deeply (a 1000-deep list was a 500)."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return check_json_depth(super().parse(stream, media_type, parser_context))
        except RecursionError:
            raise exceptions.ParseError("JSON nested too deeply.") from None
