"""Split CEL source into tokens. Literals are decoded here; `//` line comments are skipped.

Errors are raised as `ParseError(offset, message)`; the caller locates them in the source.
"""

from __future__ import annotations

import re
from typing import NamedTuple

INT_MAX = 2**63 - 1


class ParseError(Exception):
    """A syntax mistake at `offset`."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


class Token(NamedTuple):
    """One token. `kind` is 'int', 'double', 'string', 'ident', 'eof', a keyword or a symbol."""

    kind: str
    text: str
    offset: int
    value: object = None


KEYWORDS = frozenset({"true", "false", "null", "in"})
RESERVED = frozenset({
    "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
    "loop", "package", "namespace", "return", "var", "void", "while",
})  # fmt: skip
SYMBOLS = (
    "||", "&&", "==", "!=", "<=", ">=",
    "!", "<", ">", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}",
)  # fmt: skip
MISTAKES = {
    "**": "CEL has no ** operator; multiply instead",
    "=": "use == to compare; CEL has no assignment",
    "&": "use && for 'and' in CEL",
    "|": "use || for 'or' in CEL",
    "#": "comments in CEL start with //, not #",
}

_NUMBER = re.compile(
    r"(?P<hex>0[xX][0-9a-fA-F]+)"
    r"|(?P<double>[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)"
    r"|(?P<int>[0-9]+)"
)
# One pattern finds what kind of token starts at a position; numbers and strings are then
# read by their own functions.
_TOKEN = re.compile(
    r"(?P<space>(?:[ \t\r\n\f]+|//[^\n]*)+)"
    r"|(?P<prefix>(?:[rR][bB]?|[bB][rR]?)?)(?P<quote>'''|\"\"\"|'|\")"
    r"|(?P<number>\.?[0-9])"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<symbol>" + "|".join(re.escape(symbol) for symbol in SYMBOLS) + ")"
)


def tokenize(source: str) -> list[Token]:
    """All tokens of `source`, ending with an 'eof' token."""
    tokens: list[Token] = []
    pos, end = 0, len(source)
    while pos < end:
        match = _TOKEN.match(source, pos)
        if match is not None and match.lastgroup == "space":
            pos = match.end()
            continue
        token = _token(source, pos, match)
        tokens.append(token)
        pos += len(token.text)
    tokens.append(Token("eof", "", end))
    return tokens


def _token(source: str, pos: int, match: re.Match[str] | None) -> Token:
    kind = match.lastgroup if match is not None else None
    if match is None or source.startswith("**", pos):
        for mistake, hint in MISTAKES.items():
            if source.startswith(mistake, pos):
                raise ParseError(pos, hint)
        raise ParseError(pos, f"unexpected character {source[pos]!r}")
    if kind == "ident":
        text = match.group()
        return Token(text if text in KEYWORDS else "ident", text, pos)
    if kind == "symbol":
        return Token(match.group(), match.group(), pos)
    if kind == "number":
        return _number_token(source, pos)
    return _string_token(source, pos, match.group("prefix"), match.group("quote"))


def _number_token(source: str, pos: int) -> Token:
    match = _NUMBER.match(source, pos)
    if match is None:  # pragma: no cover - the token pattern saw a digit here
        raise ParseError(pos, "malformed number")
    text = match.group()
    end = match.end()
    after = source[end : end + 1]
    if after in ("u", "U"):
        raise ParseError(end, "unsigned integers are not supported; drop the 'u'")
    if after.isalnum() or after == "_" or (after == "." and not match.group("double")):
        raise ParseError(pos, f"malformed number {source[pos : end + 1]!r}")
    if match.group("double"):
        return Token("double", text, pos, float(text))
    value = int(text, 16) if match.group("hex") else int(text)
    # One more than INT_MAX is allowed so that -9223372036854775808 can be written; the
    # parser rejects it anywhere but after a unary minus.
    if value > INT_MAX + 1:
        raise ParseError(pos, f"integer {text} is too large; ints are 64-bit")
    return Token("int", text, pos, value)


def _string_token(source: str, pos: int, prefix: str, quote: str) -> Token:
    if "b" in prefix.lower():
        raise ParseError(pos, "bytes literals are not supported")
    is_raw = bool(prefix)
    body_start = pos + len(prefix) + len(quote)
    end = _find_closing(source, body_start, quote, is_raw)
    if end < 0:
        raise ParseError(pos, "this string is not closed")
    body = source[body_start:end]
    value = body if is_raw else decode_string(body, body_start)
    return Token("string", source[pos : end + len(quote)], pos, value)


def _find_closing(source: str, start: int, quote: str, is_raw: bool) -> int:
    """Offset of the closing `quote`, or -1; single-quoted strings may not span lines."""
    i = start
    while i < len(source):
        if source.startswith(quote, i):
            return i
        ch = source[i]
        if ch == "\n" and len(quote) == 1:
            return -1
        i += 2 if ch == "\\" and not is_raw else 1
    return -1


_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?",
}  # fmt: skip
_HEX_LENGTHS = {"x": 2, "X": 2, "u": 4, "U": 8}
_OCTAL = re.compile(r"[0-3][0-7]{2}")


def decode_string(body: str, start: int) -> str:
    """The value of a quoted string's `body` (which begins at offset `start`), escapes decoded."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        decoded, width = _decode_escape(body, i, start)
        out.append(decoded)
        i += width
    return "".join(out)


def _decode_escape(body: str, i: int, start: int) -> tuple[str, int]:
    """The character of the escape at `body[i]` and how many characters it spans."""
    code = body[i + 1 : i + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], 2
    if code in _HEX_LENGTHS:
        digits = body[i + 2 : i + 2 + _HEX_LENGTHS[code]]
        if len(digits) == _HEX_LENGTHS[code] and all(c in "0123456789abcdefABCDEF" for c in digits):
            value = int(digits, 16)
            if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
                return chr(value), 2 + len(digits)
    elif _OCTAL.match(body, i + 1):
        return chr(int(body[i + 1 : i + 4], 8)), 4
    raise ParseError(start + i, f"bad escape sequence {body[i : i + 2]!r} in string")
