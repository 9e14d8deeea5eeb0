"""CML's error envelope (grpc-gateway `runtimeError`) and the HTTP status of each gRPC code."""

from __future__ import annotations

from typing import Any

# gRPC code -> HTTP status, as grpc-gateway maps them.
HTTP_STATUS = {
    2: 500,
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 400,
    10: 409,
    11: 400,
    12: 501,
    13: 500,
    14: 503,
    16: 401,
}

INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
UNIMPLEMENTED = 12
INTERNAL = 13
UNAUTHENTICATED = 16


class ApiError(Exception):
    """An error answered to the caller as `{"error", "code", "message", "details"}`."""

    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self._status = status  # where HTTP has a better status than the code's (413, 507)

    @property
    def http_status(self) -> int:
        return self._status or HTTP_STATUS.get(self.code, 500)


def envelope(code: int, message: str) -> dict[str, Any]:
    """The JSON body CML sends with an error."""
    return {"error": message, "code": code, "message": message, "details": []}


def bad_request(message: str) -> ApiError:
    return ApiError(INVALID_ARGUMENT, message)


def not_found(message: str) -> ApiError:
    return ApiError(NOT_FOUND, message)


def precondition(message: str) -> ApiError:
    return ApiError(FAILED_PRECONDITION, message)


def forbidden(message: str) -> ApiError:
    return ApiError(PERMISSION_DENIED, message)


def conflict(message: str) -> ApiError:
    return ApiError(ALREADY_EXISTS, message)


def too_large(message: str) -> ApiError:
    return ApiError(RESOURCE_EXHAUSTED, message, 413)


def unauthenticated(message: str) -> ApiError:
    return ApiError(UNAUTHENTICATED, message)
