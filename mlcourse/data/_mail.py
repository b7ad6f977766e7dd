"""Parse one raw RFC 822 message file into the course's columns (used by the loaders).

Kept apart from :mod:`mlcourse.data.loaders` and free of pandas so that worker processes,
which parse files in parallel, start quickly.

Messages are parsed with :mod:`email` under its ``compat32`` policy, whose headers are plain
strings: the ``default`` policy builds a structured object for every header a message carries,
which made parsing four times slower, and only ``From:`` needs structure. Encoded words
(RFC 2047) are decoded with :func:`email.header.decode_header`; the ``From:`` address is parsed
with the ``default`` policy's address parser, one header per message.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import Message
from html.parser import HTMLParser

# Tried in order when the declared charset is missing, unknown or wrong. latin-1 decodes any
# byte, so decoding never fails; cp1252 first because "smart quotes" (0x91-0x94) are common.
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")
# Raw 8-bit bytes in a header survive parsing as these surrogate escapes.
_SURROGATES = re.compile("[\udc80-\udcff]")
# The first line of a message file: an mbox "From " line (as in the SpamAssassin corpus), a
# header field ("Return-Path: ...", "X-Spam-Status : ..."), or a blank line (no headers at
# all). A field name is a token: letters, digits and a few marks, never quotes or braces, so a
# JSON sidecar ('{"id": ...'), a shell script or a README does not pass.
_FIRST_LINE = re.compile(rb"From |[A-Za-z0-9][A-Za-z0-9!#$%&'*+.^_`|~-]*[ \t]*:|\r?\n")
_ADDRESS_FACTORY = email.policy.default.header_factory


def looks_like_message(data: bytes) -> bool:
    """Whether ``data`` starts like an RFC 822 message and has some content."""
    return bool(data.strip()) and _FIRST_LINE.match(data) is not None


def decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text, leniently: the declared charset, then utf-8, cp1252 and latin-1."""
    candidates = ([charset] if charset else []) + list(_FALLBACK_CHARSETS)
    for cs in candidates:
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):  # unknown charset name, or wrong charset
            continue
    raise AssertionError("unreachable: latin-1 decodes every byte")  # pragma: no cover


def _unescape_bytes(text: str) -> str:
    """Decode raw 8-bit bytes that the email parser kept as surrogate escapes."""
    if _SURROGATES.search(text) is None:
        return text
    return decode(text.encode("utf-8", "surrogateescape"))


def _one_line(text: str) -> str:
    """Fold a header value onto one line with single spaces."""
    return " ".join(text.split())


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words ("=?utf-8?b?...?="), leniently."""
    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except Exception:  # a malformed encoded word: keep the raw text
        return value
    try:
        return str(make_header(parts))
    except Exception:  # an unknown or wrong charset in one word: decode each part leniently
        return "".join(p if isinstance(p, str) else _decode_word(p, cs) for p, cs in parts)


def _decode_word(data: bytes, charset: str | None) -> str:
    """One encoded word's bytes: its charset with bad bytes replaced, or the fallbacks."""
    if charset:
        try:
            return data.decode(charset, "replace")
        except LookupError:  # an unknown charset name
            pass
    return decode(data)


def _header(msg: Message, name: str) -> list[str]:
    """All values of a header, decoded and folded to one line.

    Values are only decoded, never parsed as addresses or dates, so nothing is reformatted.
    """
    name = name.lower()
    return [
        _one_line(_decode_words(_unescape_bytes(str(value))))
        for key, value in msg.raw_items()
        if key.lower() == name
    ]


def _sender(msg: Message) -> str:
    """The sender's address (the display name dropped, as in the generator)."""
    raw = [value for key, value in msg.raw_items() if key.lower() == "from"]
    if not raw:
        return ""
    value = _unescape_bytes(str(raw[0]))
    try:
        header = _ADDRESS_FACTORY("From", value)
        # The first real address: "Doe, John <j@x>" (an unquoted comma) parses as two.
        for address in getattr(header, "addresses", ()):
            if isinstance(address, Address) and "@" in address.addr_spec:
                return _one_line(address.addr_spec)
    except Exception:  # an unparseable From: header is kept as it is, below
        pass
    return _one_line(_decode_words(value))


class _TextFromHTML(HTMLParser):
    """Collect the visible text of an HTML document (scripts and styles dropped)."""

    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML document, one non-empty line per block."""
    parser = _TextFromHTML()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # pragma: no cover - HTMLParser is lenient; a crude fallback just in case
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)  # undoes base64 and quoted-printable
    if payload is None:  # pragma: no cover - only for multipart containers, which we skip
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:  # a malformed Content-Type parameter
        charset = None
    return decode(payload, charset).replace("\r\n", "\n").replace("\r", "\n")


def _body(msg: Message) -> str:
    """The text/plain parts, or failing that the text/html parts with tags stripped."""
    plain, markup = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            ctype = part.get_content_type()
            attachment = part.get_content_disposition() == "attachment"
        except Exception:  # pragma: no cover - defensive: a header too broken to parse
            ctype, attachment = "text/plain", False
        if attachment or not ctype.startswith("text/"):
            continue
        if ctype == "text/html":
            markup.append(_part_text(part))
        else:  # text/plain, and unusual text/* types, which are readable as they are
            plain.append(_part_text(part))
    if any(p.strip() for p in plain):
        return "\n".join(p.strip() for p in plain if p.strip())
    return "\n".join(html_to_text(m) for m in markup).strip()


def parse_message(data: bytes) -> tuple[str, str, str, str]:
    """``(subject, sender, received, body)`` of one raw message."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    subject = _header(msg, "Subject")
    return (
        subject[0] if subject else "",
        _sender(msg),
        "\n".join(_header(msg, "Received")),
        _body(msg),
    )


def parse_files(paths: list[str]) -> list[tuple[str, str, str, str] | None]:
    """Parse message files; ``None`` for a file that is not an RFC 822 message.

    The unit of work that :func:`mlcourse.data.load_spamassassin` hands to each process.
    """
    out: list[tuple[str, str, str, str] | None] = []
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        out.append(parse_message(data) if looks_like_message(data) else None)
    return out
