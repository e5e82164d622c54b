"""Domain errors raised by services and mapped to pages or JSON by the web layer."""

from __future__ import annotations


class SilianError(Exception):
    """Base class of errors a user can be shown."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SilianError):
    """The record does not exist or the user may not see it."""

    status_code = 404


class PermissionDenied(SilianError):
    """The user is signed in but may not do this."""

    status_code = 403


class InvalidTransition(SilianError):
    """A status change that the workflow does not allow from the current status."""

    status_code = 409


class ValidationFailed(SilianError):
    """Input failed validation; errors maps field name to a Chinese message."""

    status_code = 422

    def __init__(
        self, errors: dict[str, str], message: str = "提交的内容有误，请按提示修改"
    ) -> None:
        super().__init__(message)
        self.errors = errors


class Conflict(SilianError):
    """The record changed since the user loaded it (or a unique rule would be broken)."""

    status_code = 409


class StaleEdit(Conflict):
    """An edit based on an old version; carries the version now stored."""

    def __init__(self, current_version: int, message: str = "") -> None:
        super().__init__(message or "此记录已被他人修改，请查看最新内容后再保存")
        self.current_version = current_version
