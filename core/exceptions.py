"""The one exception type for domain rules. It carries the stable `code` of API.md."""

import math

from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail

from core.messages import duration, message


class DomainError(APIException):
    """A broken business rule. `code` is the machine string the app matches on; `detail` is for humans.

    400 domain errors render as `validation_error`, other statuses as `client_error` (API.md).
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, code: str, *, status_code: int = 400, attr: str | None = None, **params):
        self.code = code
        self.attr = attr
        self.params = params
        self.status_code = status_code
        super().__init__(detail=message(code, **params), code=code)


class Conflict(DomainError):
    """409. `text` picks a message other than the code's own, where one code is raised in situations a
    person should read differently (`worker_not_approved` for a payment, or for a membership card)."""

    def __init__(self, code: str, *, attr: str | None = None, text: str | None = None, **params):
        super().__init__(code, status_code=status.HTTP_409_CONFLICT, attr=attr, **params)
        if text is not None:
            self.detail = ErrorDetail(message(text, **params), code=code)


class LimitReached(DomainError):
    """429 with `Retry-After`: a business limit (registrations a day, consent codes to one phone), not a
    request rate, so `API_THROTTLING=false` does not switch it off. `retry_after` is in seconds; the
    message gets it as `{retry_in}`. `text` picks a message other than the code's own (a `throttled`
    answer that says which limit it is)."""

    def __init__(self, code: str, *, retry_after: int, attr: str | None = None, text: str | None = None, **params):
        self.wait = max(1, math.ceil(retry_after))
        params["retry_in"] = duration(self.wait)
        super().__init__(code, status_code=status.HTTP_429_TOO_MANY_REQUESTS, attr=attr, **params)
        if text is not None:
            self.detail = ErrorDetail(message(text, **params), code=code)
