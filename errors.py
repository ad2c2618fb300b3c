"""The one exception type for bad user input.

Every problem a user can fix (a wrong dataset id, a malformed file, a bad option) raises
``CuratedRLError`` with a one-line message that names the input and the fix. The command line
prints that line without a traceback and exits with status 2.
"""


class CuratedRLError(Exception):
    """Bad input the user can fix; the message says what and how."""


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message, at most ``limit`` characters (and never the expansion of a
    deeply nested value: containers are shown three levels deep)."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother = 3, limit, limit
    text = r.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
