"""The errors that mean "your input is wrong" (not "the code is wrong").

Everything a user hands to the package (a config, an annotation file, a
prediction dump, a checkpoint) is checked where it is read, and a check that
fails raises one of these. :func:`natmae_mm.utils.cli.cli_main` turns exactly
these (and missing or unreadable files) into one ``error: ...`` line and a
non-zero exit; every other exception is a bug and keeps its traceback.

Each class also derives from the builtin error a caller would catch without
knowing this module (``ValueError``, ``KeyError``, ``RuntimeError``), so
``except ValueError`` keeps working.
"""


class UserInputError(Exception):
    """Base class: a file or option the user gave does not fit."""


class InvalidInputError(UserInputError, ValueError):
    """A file's content or a config value does not fit (wrong schema, counts, ...)."""


class MissingKeyError(UserInputError, KeyError):
    """A name the user gave (a split, a key) is not in the file.

    ``str()`` is the message itself, not ``KeyError``'s quoted repr.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


class UnsafeFileError(UserInputError, RuntimeError):
    """A pickle references a Python global outside the allowlist; nothing was built.

    Args:
        message (str): The full explanation.
        filename (str): The refused file.
        global_names (list[str]): The offending ``module.name`` globals.
            Defaults to an empty list.
    """

    def __init__(self, message: str, filename: str = '', global_names=()) -> None:
        super().__init__(message)
        self.filename = filename
        self.global_names = list(global_names)


class InvalidIndexError(UserInputError, IndexError):
    """An index the user gave (a sample number, ...) is out of range."""
