"""Typed errors and warnings.

Every error a user can trigger carries a short code (``E101`` ...), a sentence that says
what went wrong (naming the file, column or row) and what to do. The CLI prints
``str(error)`` on one line and exits with a non-zero code; no traceback.

One class per kind of error, one code per class (:data:`CODES` lists them, tested
distinct), and every class has a ``default_fix`` used when the raise site gives none, so
no error reaches the user without a fix. A raise site names the most specific class.
"""

from __future__ import annotations


class FeedbackWarning(UserWarning):
    """Warnings emitted by feedback_nlp (pytest turns them into errors in our tests)."""


class FeedbackError(Exception):
    """Base class of every documented error raised by feedback_nlp."""

    code = "E000"
    exit_code = 2
    default_fix = "see the message above; rerun with FEEDBACK_NLP_DEBUG=1 for details."

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix if fix is not None else self.default_fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        # One line, always: error messages may quote user data.
        return " ".join(text.split())


# --------------------------------------------------------------------------- input (E1xx)


class InputFileError(FeedbackError):
    """The input file is missing, unreadable, empty or not in a supported format."""

    code = "E101"
    default_fix = "check the path, and that the file is a complete CSV, XLSX, Parquet or JSONL export."


class EncodingError(InputFileError):
    """The input file's text encoding could not be decoded."""

    code = "E102"
    default_fix = "save it as UTF-8 (Excel: 'CSV UTF-8'), or pass encoding=... / --encoding."


class ColumnNotFoundError(FeedbackError):
    """A column named by the user does not exist in the input."""

    code = "E103"
    default_fix = "pass the exact column name (the message lists the columns found)."


class EmptyInputError(InputFileError):
    """The input holds no data rows."""

    code = "E104"
    default_fix = "check that the export is not empty (header and data rows)."


# --------------------------------------------------------------------------- options (E2xx)


class ConfigError(FeedbackError):
    """An option or configuration file value is invalid (wrong type or out of range)."""

    code = "E201"
    default_fix = "correct the value (see docs/configuration and `feedback-nlp analyze --help`)."


class ConfigFileError(ConfigError):
    """The configuration file is missing or is not valid TOML."""

    code = "E202"
    default_fix = "check the --config path and the file's TOML syntax (key = value, [section])."


class UnknownOptionError(ConfigError):
    """A configuration key, option or column role that does not exist (often a typo)."""

    code = "E203"
    default_fix = "check the spelling against the allowed names the message lists."


class OptionConflictError(ConfigError):
    """Options that cannot be combined, or an option that needs another one."""

    code = "E204"
    default_fix = "drop one of the options, or add the one the message names."


class SchedulerError(ConfigError):
    """The Dask scheduler named by ``--scheduler`` cannot be reached."""

    code = "E205"
    default_fix = "check the address (tcp://HOST:8786) and that the scheduler runs."


class MissingExtraError(ConfigError):
    """An optional dependency (an extra such as ``[spark]``) is not installed."""

    code = "E206"
    default_fix = 'install the extra the message names, e.g. pip install "feedback-nlp[spark]".'


# --------------------------------------------------------------------------- models (E3xx)


class ModelLoadError(FeedbackError):
    """A model directory is missing, incomplete, or refused as unsafe."""

    code = "E301"
    default_fix = "pass the folder written by the library's save() (safetensors + JSON)."


class UnsafeModelError(ModelLoadError):
    """A model file would execute code or holds untrusted types when loaded."""

    code = "E302"
    default_fix = "use a model folder in safetensors + JSON format (pickle files are refused)."


# --------------------------------------------------------------------------- output (E4xx)


class OutputError(FeedbackError):
    """An output folder or file cannot be written."""

    code = "E401"
    default_fix = "choose another folder with -o / --output, or free disk space / fix permissions."


# --------------------------------------------------------------------------- stages (E5xx)


class NotFittedError(FeedbackError, ValueError):
    """A model was used before ``fit``."""

    code = "E501"
    default_fix = "fit the model first (or load a saved one)."


class StageError(FeedbackError):
    """A processing stage failed in a worker or ran past its time limit."""

    code = "E502"
    exit_code = 3
    default_fix = "lower --chunksize or n_jobs, or raise worker_timeout in the configuration."


class RowAccountingError(StageError):
    """The output does not hold every input row exactly once (a bug of ours, not the data)."""

    code = "E503"
    default_fix = ("this is a bug of feedback_nlp: rerun with FEEDBACK_NLP_DEBUG=1 and report it "
                   "with the shape of the input.")


def _catalogue() -> dict[str, type[FeedbackError]]:
    found: dict[str, type[FeedbackError]] = {}
    todo: list[type[FeedbackError]] = [FeedbackError]
    while todo:
        klass = todo.pop()
        found.setdefault(klass.code, klass)
        todo.extend(klass.__subclasses__())
    return dict(sorted(found.items()))


#: Every error code and its class (documented in docs/errors.md by the classes' docstrings).
CODES: dict[str, type[FeedbackError]] = _catalogue()
