"""Typed errors and warnings.

Every error a user can trigger carries a short code (``E101`` ...), a sentence that says
what went wrong (naming the file, column or row) and what to do. The CLI prints
``str(error)`` on one line and exits with a non-zero code; no traceback.
"""

from __future__ import annotations


class FeedbackWarning(UserWarning):
    """Warnings emitted by feedback_nlp (pytest turns them into errors in our tests)."""


class FeedbackError(Exception):
    """Base class of every documented error raised by feedback_nlp."""

    code = "E000"
    exit_code = 2

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        # One line, always: error messages may quote user data.
        return " ".join(text.split())


class InputFileError(FeedbackError):
    """The input file is missing, unreadable, empty or not in a supported format."""

    code = "E101"


class EncodingError(InputFileError):
    """The input file's text encoding could not be decoded."""

    code = "E102"


class ColumnNotFoundError(FeedbackError):
    """A column named by the user does not exist in the input."""

    code = "E103"


class EmptyInputError(InputFileError):
    """The input holds no data rows."""

    code = "E104"


class ConfigError(FeedbackError):
    """An option or configuration file value is invalid."""

    code = "E201"


class ModelLoadError(FeedbackError):
    """A model directory is missing, incomplete, or refused as unsafe."""

    code = "E301"


class UnsafeModelError(ModelLoadError):
    """A model file would execute code or holds untrusted types when loaded."""

    code = "E302"


class OutputError(FeedbackError):
    """An output folder or file cannot be written."""

    code = "E401"


class StageError(FeedbackError):
    """A processing stage failed in a worker or ran past its time limit."""

    code = "E502"
    exit_code = 3


class NotFittedError(FeedbackError, ValueError):
    """A model was used before ``fit``."""

    code = "E501"


class RowAccountingError(StageError):
    """The output does not hold every input row exactly once (a bug of ours, not the data)."""

    code = "E503"
