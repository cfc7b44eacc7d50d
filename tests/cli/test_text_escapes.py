"""alc._text: which characters are escaped, checked over every code point."""

from __future__ import annotations

import json

from alc._text import json_safe, visible, visible_tree

# the characters a terminal may act on, as the module states them: C0 but tab and newline, DEL,
# C1, the bidi overrides and isolates, lone surrogates
CONTROLS = (
    [c for c in range(0x20) if c not in (0x09, 0x0A)]
    + list(range(0x7F, 0xA0))
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    + list(range(0xD800, 0xE000))
)
VISIBLE = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in CONTROLS}
JSON_ESCAPES = {c: f"\\u{c:04x}" for c in CONTROLS if c >= 0x20}
EVERY = "".join(map(chr, range(0x110000)))


def test_visible_escapes_exactly_the_controls() -> None:
    assert visible(EVERY) == EVERY.translate(VISIBLE)
    assert visible("a\tb\nc\x1b[31m\x9b\u202e\ud800") == "a\tb\nc\\x1b[31m\\x9b\\u202e\\ud800"


def test_json_safe_escapes_what_json_dumps_leaves_raw() -> None:
    text = json.dumps(EVERY, ensure_ascii=False)
    assert json_safe(text) == text.translate(JSON_ESCAPES)
    # the same JSON value (surrogates aside: two escaped in a row read back as one pair)
    plain = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c < 0xE000)
    assert json.loads(json_safe(json.dumps(plain, ensure_ascii=False))) == plain


def test_visible_tree_reaches_keys_and_nested_values() -> None:
    tree = {"k\x1b": ["\x07", {"x": ("\u2066",)}], "n": 1}
    assert visible_tree(tree) == {"k\\x1b": ["\\x07", {"x": ["\\u2066"]}], "n": 1}
