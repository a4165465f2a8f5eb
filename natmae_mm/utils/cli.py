"""How every command-line tool says "your input is wrong".

Each tool under ``tools/`` ends with ``cli_main(main)``. An expected user
error (:data:`USER_ERRORS`: a missing, unreadable or refused file, a config
that does not fit the data; see :mod:`natmae_mm.utils.errors`) becomes one
``error: ...`` line on stderr and exit status 1, the way ``tools/train.py``
answers a missing config. Any other exception is a bug and keeps its traceback.

    if __name__ == '__main__':
        cli_main(main)
"""
import sys
from typing import Any, Callable, NoReturn, Optional, Sequence

from .errors import UserInputError

#: Exceptions that report bad input, not a bug: the package's own family and
#: the OS errors of a path the user gave.
USER_ERRORS = (UserInputError, FileNotFoundError, IsADirectoryError, NotADirectoryError,
               PermissionError)


def error_line(exc: BaseException) -> str:
    """``'error: <message>'`` on one line (whitespace and newlines collapsed)."""
    return 'error: ' + (' '.join(str(exc).split()) or type(exc).__name__)


def run_tool(main: Callable[[Optional[Sequence[str]]], Any],
             argv: Optional[Sequence[str]] = None) -> int:
    """Run ``main(argv)`` and return the exit status a shell would see.

    Args:
        main (callable): The tool's ``main(argv)``.
        argv (list[str], optional): Arguments; None reads ``sys.argv[1:]``.
            Defaults to None.

    Returns:
        int: ``main``'s return value when it is an int (the converters return
        their status), otherwise 0; 1 after an expected user error, which is
        printed as one ``error:`` line on stderr.
    """
    try:
        ret = main(argv)
    except USER_ERRORS as exc:
        print(error_line(exc), file=sys.stderr)
        return 1
    return ret if type(ret) is int else 0


def cli_main(main: Callable[[Optional[Sequence[str]]], Any]) -> NoReturn:
    """``sys.exit(run_tool(main))``: the last line of every tool."""
    sys.exit(run_tool(main, None))
