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


def closest(name: str, known: list[str]) -> str | None:
    """The closest of ``known`` to a mistyped ``name`` (difflib), or None."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    return close[0] if close else None


def did_you_mean(name: str, known: list[str]) -> str:
    """``; did you mean 'x'?`` with ``closest(name, known)``, else an empty string: the hint
    every "unknown name" message shares."""
    close = closest(name, known)
    return f"; did you mean {close!r}?" if close else ""
