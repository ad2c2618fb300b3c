"""The one exception type for bad user input.

Every problem a user can fix (a wrong dataset id, a malformed file, a bad option) raises
``CuratedRLError`` with a one-line message that names the input and the fix. The command line
prints that line without a traceback and exits with status 2.
"""


class CuratedRLError(Exception):
    """Bad input the user can fix; the message says what and how."""
