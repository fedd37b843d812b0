"""The API's error shape (drf-standardized-errors), with domain errors carrying `attr`."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_standardized_errors.formatter import ExceptionFormatter as BaseFormatter
from drf_standardized_errors.handler import ExceptionHandler as BaseHandler
from drf_standardized_errors.types import CLIENT_ERROR, VALIDATION_ERROR, Error
from rest_framework import exceptions

from core.exceptions import DomainError
from core.messages import message


class ExceptionFormatter(BaseFormatter):
    def get_error_type(self):
        # API.md: every 400 is a validation_error (a malformed body included).
        if self.exc.status_code == 400:
            return VALIDATION_ERROR
        return super().get_error_type()

    def get_errors(self):
        if isinstance(self.exc, exceptions.Throttled):
            wait = int(self.exc.wait or 1)
            return [Error(code="throttled", detail=message("throttled", wait=max(wait, 1)), attr=None)]
        if isinstance(self.exc, DomainError):
            return [Error(code=self.exc.code, detail=str(self.exc.detail), attr=self.exc.attr)]
        if isinstance(self.exc, exceptions.ParseError):
            return [Error(code="parse_error", detail=str(self.exc.detail), attr=None)]
        detail = self.exc.detail
        # simplejwt puts a dict ({detail, code, messages}) in its 401s: keep one error with its code.
        if not isinstance(self.exc, exceptions.ValidationError) and isinstance(detail, dict):
            code = str(detail.get("code") or getattr(self.exc, "default_code", "error"))
            return [Error(code=code, detail=str(detail.get("detail", "")), attr=None)]
        return super().get_errors()

    def get_error_response(self, error_type, errors):
        if error_type == CLIENT_ERROR:
            errors = errors[:1]
        return super().get_error_response(error_type, errors)



class ExceptionHandler(BaseHandler):
    def convert_known_exceptions(self, exc):
        # Django raises this when a view reads a body over DATA_UPLOAD_MAX_MEMORY_SIZE: the client's
        # doing, a 413 (API.md), not a 500.
        if isinstance(exc, RequestDataTooBig):
            return DomainError("request_too_large", status_code=413, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return super().convert_known_exceptions(exc)
