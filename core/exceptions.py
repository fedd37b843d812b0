"""The one exception type for domain rules. It carries the stable `code` of API.md."""

from rest_framework import status
from rest_framework.exceptions import APIException

from core.messages import message


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
    def __init__(self, code: str, *, attr: str | None = None, **params):
        super().__init__(code, status_code=status.HTTP_409_CONFLICT, attr=attr, **params)
