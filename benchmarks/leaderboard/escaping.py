"""Everything a results file carries is data: how the leaderboard writes a value read from
results/ (a folder name, a field of final.json or config.yaml) into each place it shows it.

- HTML text and double-quoted attribute values: ``html_text`` (the standard library's
  ``html.escape``); a link's path segment: ``url_segment`` (percent-encoded, then ``html_text``);
  a line written for Markdown with code spans, shown as HTML: ``html_code_spans`` (each span as
  ``<code>``, every part escaped).
- DOM ids and file names: ``safe_id`` (the value itself when it is already a plain id, else a
  slug of it with a hash of the whole value: two different values never share an id).
- Markdown text and table cells: ``md_text`` (no raw HTML, no emphasis, link, code or cell
  break); code spans: ``md_code`` (plain values only, any other as ``md_text``).
- A command a reader copies into a shell: ``shell_word`` (``shlex.quote``).
- Plots: matplotlib's math parsing is switched off while the leaderboard draws (``plots.py``),
  so a ``$`` is a dollar sign.
- The terminal: ``one_line`` (no line breaks or control characters).

The page embeds no JSON or JavaScript built from results (``site.js`` is static and reads
values only from attributes), so there is no such context to escape.
"""

from __future__ import annotations

import hashlib
import html
import re
import shlex
from typing import Any
from urllib.parse import quote

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# an underscore inside a word (snake_case) starts no emphasis in GitHub's Markdown: kept as typed
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MD_PLAIN = re.compile(r"[\w .,:;=+~/()'\"@%-]+", re.ASCII)
_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_HASHED = re.compile(r".*-h[0-9a-f]{10}")
ID_LENGTH = 64


def one_line(value: Any) -> str:
    """The value as text on one line: line breaks and control characters become a space."""
    return _CONTROL.sub(" ", str(value))


def html_text(value: Any) -> str:
    """For HTML text and double-quoted attribute values: ``& < > " '`` as entities."""
    return html.escape(str(value), quote=True)


def html_code_spans(value: Any) -> str:
    """A line written for Markdown as HTML text: each backtick-quoted span becomes ``<code>`` and
    every part is ``html_text``; a backtick without its pair is kept as text."""
    parts = str(value).split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one opens nothing
        parts[-2:] = ["`".join(parts[-2:])]
    return "".join(f"<code>{html_text(p)}</code>" if i % 2 else html_text(p)
                   for i, p in enumerate(parts))


def url_segment(value: Any) -> str:
    """One path segment of a relative link: every character but letters, digits and ``_.-~``
    percent-encoded (no ``/``, ``?``, ``#`` or scheme). Put it in an attribute with
    ``html_text``."""
    return quote(str(value), safe="")


def md_text(value: Any) -> str:
    """Markdown text, also inside a table cell: on one line, ``&`` and ``<`` as entities (no
    raw HTML, no autolink; a ``>`` alone starts nothing mid-line, so ``a -> b`` reads as
    typed) and ``\\ ` * _ [ ] | ~`` backslash-escaped (no code span, emphasis, link or cell
    break; ``_`` only where it could start or end emphasis, so snake_case reads as typed)."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(value).replace("&", "&amp;").replace("<", "&lt;"))


def md_code(value: Any) -> str:
    """A Markdown code span when the value is plain (letters, digits, spaces and
    ``. , : ; = + ~ / ( ) ' " @ % -``), else ``md_text``: a code span can escape neither a
    backtick nor ``<`` (it shows an entity as typed)."""
    text = one_line(value)
    return f"`{text}`" if _MD_PLAIN.fullmatch(text) and text.strip() else md_text(text)


def shell_word(value: Any) -> str:
    """The value as one shell word (quoted unless it is plain), for a command to copy."""
    return shlex.quote(str(value))


def safe_id(value: Any) -> str:
    """For DOM ids and file names: the value itself when it is lower-case letters and digits
    joined by single ``-`` or ``_`` (at most 64 characters) and does not end like a hashed id;
    else a slug of it, ``-h`` and 10 hex digits of the SHA-256 of the whole value. A value kept
    as is never ends like a hashed one, so two different values never share an id."""
    text = str(value)
    if len(text) <= ID_LENGTH and _ID.fullmatch(text) and not _HASHED.fullmatch(text):
        return text
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower())[:40].strip("-")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug or 'id'}-h{digest}"
