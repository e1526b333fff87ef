"""Go's handling of strings where it differs from Python's: strconv.Quote, strings.ToUpper
and TrimSpace, byte offsets, and cli-runtime's terminal escaping."""

from __future__ import annotations

from kube_ai_proxy.errors import Defer

# unicode.IsSpace: what strings.TrimSpace trims.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


def go_trim_space(text: str) -> str:
    """strings.TrimSpace: Go's unicode.IsSpace set, which differs from Python's at the edges."""
    return text.strip(GO_SPACE)


def go_upper(text: str) -> str:
    """strings.ToUpper: each rune by Unicode's simple case mapping. Python's str.upper uses
    the full mapping, which differs where it yields several characters (`ß` -> `SS`, which
    Go leaves as it is); for those the simple mapping is not known here."""
    if text.isascii():
        return text.upper()
    out = []
    for char in text:
        upper = char.upper()
        if len(upper) != 1:
            raise Defer(f"the upper case of {char!r}")
        out.append(upper)
    return "".join(out)


def go_quote(text: str) -> str:
    """fmt's %q of a string (strconv.Quote)."""
    out = ['"']
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    escapes |= {"\v": "\\v", '"': '\\"', "\\": "\\\\"}
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def bytes_prefix(text: str, length: int) -> str:
    """text[0:length] in Go (bytes), for the ASCII revisions it is used on."""
    if not text.isascii():
        raise Defer("a revision that is not ASCII")
    return text[:length]


def escape_terminal(text: str) -> str:
    """k8s.io/cli-runtime's printers.WriteEscaped (EscapeTerminal): escape and carriage return
    made visible, as kubectl prints text from the API."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")
