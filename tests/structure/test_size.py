"""Size and repetition in ``alc/``: no function body over 60 lines, no 6-line block in two modules.

Both checks read the source with ``ast``/``tokenize`` (nothing is imported) and carry an explicit
allow-list of today's offenders. The lists only shrink: a test fails when an offender grows, when
a new one appears, and when a listed one is fixed but still listed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from _alc_tree import Module, modules

MAX_FUNCTION_LINES = 60
"""A function's body may span at most this many lines: from its first statement (docstring
included) to its last line. The signature (``def`` line, parameters, return annotation,
decorators) is not counted, so typer parameter declarations do not count against a command."""

MIN_REPEAT_LINES = 6
"""A block of this many consecutive significant lines may stand in one module of ``alc/`` only."""

# Functions over MAX_FUNCTION_LINES today: (file, qualified name) -> body lines now.
# Being removed by issue 14 ("no Python function in alc/ over 60 lines"): an entry may not grow;
# delete it once the function is split.
KNOWN_LONG_FUNCTIONS: dict[tuple[str, str], int] = {
}

# Module pairs that share blocks of MIN_REPEAT_LINES or more today: (file, file) -> significant
# lines of the first file inside shared blocks. Being removed by issue 14 ("no block of 6 or more
# lines repeated across modules of alc/"): an entry may not grow; delete it once the pair shares
# nothing.
KNOWN_REPEATS: dict[tuple[str, str], int] = {}

GENERATED = frozenset({"alc/_generated_async.py"})
"""Modules written by a script (scripts/gen_async.py) from others: not checked for repeats."""


# -- function length -----------------------------------------------------------------------------


def functions(module: Module) -> Iterator[tuple[str, int, int]]:
    """(qualified name, ``def`` line, body lines) of every function and method, nested ones too."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                body = (child.end_lineno or child.lineno) - child.body[0].lineno + 1
                yield name, child.lineno, body
                yield from walk(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(module.tree, "")


def long_functions() -> dict[tuple[str, str], tuple[int, int]]:
    """(file, qualified name) -> (``def`` line, body lines) of every function over the limit."""
    return {
        (module.rel, name): (line, body)
        for module in modules().values()
        for name, line, body in functions(module)
        if body > MAX_FUNCTION_LINES
    }


def test_no_function_body_over_the_limit() -> None:
    found = long_functions()
    problems = []
    for (rel, name), (line, body) in sorted(found.items()):
        allowed = KNOWN_LONG_FUNCTIONS.get((rel, name))
        if allowed is None:
            problems.append(f"{rel}:{line}: {name} has {body} body lines (new)")
        elif body > allowed:
            problems.append(f"{rel}:{line}: {name} grew to {body} body lines (allowed {allowed})")
    assert not problems, (
        f"functions over {MAX_FUNCTION_LINES} body lines (split them; signatures do not count):\n  "
        + "\n  ".join(problems)
    )


def test_known_long_functions_are_still_long() -> None:
    stale = sorted(set(KNOWN_LONG_FUNCTIONS) - set(long_functions()))
    assert not stale, (
        "fixed or renamed: delete these from KNOWN_LONG_FUNCTIONS in tests/structure/test_size.py:"
        "\n  " + "\n  ".join(f"{rel}: {name}" for rel, name in stale)
    )


# -- repeated blocks -----------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[\s()\[\]{},:;.]*")


def _ignored_lines(module: Module) -> set[int]:
    """Lines that never count: imports, bare string statements (docstrings), signatures."""
    ignored: set[int] = set()
    for node in ast.walk(module.tree):
        end = node.end_lineno if hasattr(node, "end_lineno") else None
        if isinstance(node, ast.Import | ast.ImportFrom) or (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            ignored.update(range(node.lineno, (end or node.lineno) + 1))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            ignored.update(range(first, node.body[0].lineno))
    return ignored


def significant_lines(module: Module) -> list[tuple[int, str]]:
    """(line number, normalised text) of the lines that count for repetition, in order.

    Normalised: comments removed, white space folded. Passed over: blank lines, lines of lone
    punctuation, and :func:`_ignored_lines`.
    """
    lines = module.source.splitlines()
    tokens = tokenize.generate_tokens(io.StringIO(module.source).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    ignored = _ignored_lines(module)
    kept = []
    for number, text in enumerate(lines, start=1):
        folded = " ".join(text.split())
        if number in ignored or _PUNCTUATION.fullmatch(folded):
            continue
        kept.append((number, folded))
    return kept


@dataclass(frozen=True)
class Run:
    a: str
    a_lines: tuple[int, int]
    b: str
    b_lines: tuple[int, int]
    size: int  # significant lines

    def __str__(self) -> str:
        return (
            f"{self.a}:{self.a_lines[0]}-{self.a_lines[1]} ~ "
            f"{self.b}:{self.b_lines[0]}-{self.b_lines[1]} ({self.size} lines)"
        )


def repeats(among: list[Module] | None = None) -> dict[tuple[str, str], list[Run]]:
    """Blocks of MIN_REPEAT_LINES or more significant lines shared by two modules, by file pair."""
    texts = {
        m.rel: significant_lines(m)
        for m in among or list(modules().values())
        if m.rel not in GENERATED  # its signatures repeat the blocking ones by design
    }
    windows: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for rel, lines in texts.items():
        for start in range(len(lines) - MIN_REPEAT_LINES + 1):
            window = tuple(text for _, text in lines[start : start + MIN_REPEAT_LINES])
            windows[window].append((rel, start))
    starts: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    for places in windows.values():
        for i, (a, at) in enumerate(places):
            for b, bt in places[i + 1 :]:
                if a != b:
                    key, pair = ((a, b), (at, bt)) if a < b else ((b, a), (bt, at))
                    starts[key].add(pair)
    found: dict[tuple[str, str], list[Run]] = {}
    for (a, b), pairs in sorted(starts.items()):
        runs = []
        for at, bt in sorted(pairs):
            if (at - 1, bt - 1) in pairs:
                continue  # inside a run that started earlier
            length = 0
            while (at + length, bt + length) in pairs:
                length += 1
            size = length + MIN_REPEAT_LINES - 1
            runs.append(
                Run(
                    a,
                    (texts[a][at][0], texts[a][at + size - 1][0]),
                    b,
                    (texts[b][bt][0], texts[b][bt + size - 1][0]),
                    size,
                )
            )
        found[(a, b)] = runs
    return found


def test_no_block_repeated_across_modules() -> None:
    problems = []
    for pair, runs in repeats().items():
        shared = sum(run.size for run in runs)
        allowed = KNOWN_REPEATS.get(pair)
        if allowed is None or shared > allowed:
            label = "new" if allowed is None else f"grew from {allowed} to {shared} lines"
            problems.append(
                f"{pair[0]} ~ {pair[1]} ({label}):\n    " + "\n    ".join(map(str, runs))
            )
    assert not problems, (
        f"blocks of {MIN_REPEAT_LINES}+ significant lines in two modules (share one function):\n  "
        + "\n  ".join(problems)
    )


def test_known_repeats_still_repeat() -> None:
    stale = sorted(set(KNOWN_REPEATS) - set(repeats()))
    assert not stale, (
        "fixed: delete these from KNOWN_REPEATS in tests/structure/test_size.py:\n  "
        + "\n  ".join(f"{a} ~ {b}" for a, b in stale)
    )


def _probe(name: str, source: str) -> Module:

    from _alc_tree import ROOT

    path = ROOT / "alc" / f"{name}.py"
    return Module(f"alc.{name}", path, source, ast.parse(source))


def test_the_checks_measure_what_they_say() -> None:
    """Self-check on modules written for it: signatures do not count, noise does not repeat."""
    signature = "def cmd(\n" + "".join(f"    p{i}: int = 0,\n" for i in range(30)) + ") -> None:\n"
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    ((_, _, lines),) = functions(_probe("cmd", signature + body))
    assert lines == MAX_FUNCTION_LINES

    block = "".join(f"v{i} = compute({i})  # note {i}\n" for i in range(MIN_REPEAT_LINES))
    noise = "import os\nfrom a import (\n    b,\n)\n" + '"""doc"""\n' + "\n"
    a = _probe("a", noise + block.replace("  # note", "# other") + "tail_a()\n")
    indented = "".join(f"    {line}" for line in block.splitlines(keepends=True))
    b = _probe("b", "head_b()\nif ready:\n" + indented)
    found = repeats([a, b, _probe("c", noise * 3 + block[: block.index("v5")])])
    assert list(found) == [("alc/a.py", "alc/b.py")]
    (run,) = found[("alc/a.py", "alc/b.py")]
    assert run.size == MIN_REPEAT_LINES
    assert run.a_lines == (7, 12)
