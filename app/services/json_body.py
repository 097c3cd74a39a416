"""JSON request bodies with limits: a size and a nesting depth, checked before parsing.

``json.loads`` recurses once per level: 100,000 nested ``[`` raise RecursionError (a 500, and
a thread's stack spent) before any view sees the body. The depth is counted on the raw text
first, outside strings, so such a body is refused with a 400 that says why.
"""
from __future__ import annotations

import json

from .errors import DomainError, ValidationFailed

#: An API body is a handful of fields: a claim is under 200 bytes.
MAX_BYTES = 64 * 1024
MAX_DEPTH = 20


class BodyTooLarge(DomainError):
    code = "too_large"
    status = 413


class BadJson(ValidationFailed):
    code = "bad_json"
    status = 400


def depth_of(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_object(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> dict:
    """The JSON object in ``data`` (empty: ``{}``).

    :raises BodyTooLarge: more than ``max_bytes``
    :raises BadJson: not UTF-8 JSON, or nested deeper than ``max_depth``
    :raises ValidationFailed: JSON, but not an object
    """
    if len(data) > max_bytes:
        raise BodyTooLarge(f"The request body is {len(data):,} bytes; at most {max_bytes:,} "
                           "are accepted.")
    if not data.strip():
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("Send the body as UTF-8 JSON.") from None
    if depth_of(text) > max_depth:
        raise BadJson(f"The JSON is nested more than {max_depth} levels deep; send a flat "
                      "object such as {\"role\": \"canvasser\"}.")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise BadJson(f"The body is not valid JSON ({exc}).") from None
    if not isinstance(body, dict):  # well-formed, but not what the API takes: as before, 422
        raise ValidationFailed("Send a JSON object (Content-Type: application/json).")
    return body
