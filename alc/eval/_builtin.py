"""The built-in scenario sets: generated arithmetic and logic problems, and a small factual set.

Every generated case is a pure function of ``(set, seed, index)``: case ``i`` is drawn from its own
``random.Random(f"<set>:<seed>:<i>")``, so the first 20 cases of ``-n 50`` are the 20 cases of
``-n 20``, any size can be generated without a download, and the exact answer is computed, not
written down. docs/evals.md describes each generator.

=========  =================================================================================
``arith``  word problems of 1-4 steps (add, take away, buy packs of m, share equally); answer an
           integer; graded ``numeric`` (the number on the ``Answer:`` line, else the last one)
``logic``  ordering puzzles (3-5 people, shuffled adjacent comparisons: who is k-th) and
           implication chains (2-5 rules; modus ponens -> Yes, modus tollens -> No); graded
           ``choice`` (the answer names exactly one of the candidates, the right one)
``factual`` 24 fixed questions with one short answer and its accepted spellings; ``contains``
=========  =================================================================================
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from alc.eval._model import Case, GraderSpec, Scenario

__all__ = ["BUILTIN_SETS", "builtin_scenario"]

DEFAULT_SIZE = 50
"""Cases of a generated set when no size is asked for."""

_NAMES = (
    "Maya",
    "Omar",
    "Lena",
    "Ravi",
    "Sofia",
    "Jonas",
    "Amara",
    "Kenji",
    "Ines",
    "Tariq",
    "Noor",
    "Felix",
    "Priya",
    "Mateo",
    "Hana",
    "Luca",
    "Zara",
    "Emil",
    "Yuki",
    "Dara",
)
_ITEMS = (
    ("apples", "bags"),
    ("marbles", "boxes"),
    ("stickers", "sheets"),
    ("pencils", "packs"),
    ("cookies", "tins"),
    ("stamps", "albums"),
    ("shells", "buckets"),
    ("cards", "decks"),
)
_ORDER_WORDS = (
    ("taller", "shorter", "tallest", "shortest"),
    ("older", "younger", "oldest", "youngest"),
    ("faster", "slower", "fastest", "slowest"),
    ("heavier", "lighter", "heaviest", "lightest"),
)
_PROPOSITIONS = (
    "the lamp is on",
    "the door is open",
    "the alarm rings",
    "the dog barks",
    "the cat hides",
    "the kettle whistles",
    "the lights flicker",
    "the bell chimes",
    "the gate is locked",
    "the fan spins",
    "the window is shut",
    "the radio plays",
)
_ORDINALS = ("", "second ", "third ", "fourth ")


def _arith_case(rng: random.Random, index: int) -> Case:
    name = rng.choice(_NAMES)
    friend = rng.choice([n for n in _NAMES if n != name])
    item, pack = rng.choice(_ITEMS)
    steps = rng.randint(1, 4)
    total = rng.randint(5, 40)
    text = [f"{name} has {total} {item}."]
    ops: list[str] = []
    share = steps >= 2 and rng.random() < 0.35
    for _ in range(steps - (1 if share else 0)):
        kind = rng.choice(("add", "take", "packs"))
        if kind == "take" and total < 3:
            kind = "add"
        if kind == "add":
            k = rng.randint(2, 30)
            total += k
            text.append(f"{name} finds {k} more {item}.")
        elif kind == "take":
            k = rng.randint(2, total - 1)
            total -= k
            text.append(f"{name} gives {k} {item} to {friend}.")
        else:
            g, m = rng.randint(2, 6), rng.randint(2, 12)
            total += g * m
            text.append(f"{name} buys {g} {pack} with {m} {item} in each.")
        ops.append(kind)
    if share:
        divisors = [d for d in range(2, 10) if total % d == 0]
        if not divisors:  # make it divisible: give away the remainder first
            d = rng.randint(2, 6)
            r = total % d
            if r:
                total -= r
                text.append(f"{name} gives {r} {item} to {friend}.")
                ops.append("take")
            divisors = [d]
        d = rng.choice(divisors)
        total //= d
        text.append(f"{name} then shares all the {item} equally among {d} friends.")
        text.append(f"How many {item} does each friend get?")
        ops.append("share")
    else:
        text.append(f"How many {item} does {name} have now?")
    prompt = " ".join(text) + " Give the final answer as a number."
    tags = (f"steps:{len(ops)}", *sorted(set(ops)))
    return Case(id=f"arith-{index:04d}", input=prompt, expected=(str(total),), tags=tags)


def _ordering_case(rng: random.Random, index: int) -> Case:
    k = rng.randint(3, 5)
    people = rng.sample(_NAMES, k)  # people[0] has the most of the property
    more, less, most, least = rng.choice(_ORDER_WORDS)
    facts = []
    for a, b in itertools.pairwise(people):
        facts.append(
            f"{a} is {more} than {b}." if rng.random() < 0.5 else f"{b} is {less} than {a}."
        )
    rng.shuffle(facts)
    rank = rng.randint(0, min(k - 2, 3)) if k > 2 else 0
    from_top = rng.random() < 0.5
    answer = people[rank] if from_top else people[k - 1 - rank]
    word = most if from_top else least
    question = f"Who is the {_ORDINALS[rank]}{word}?"
    prompt = " ".join(facts) + f" {question} Answer with just the name."
    return Case(
        id=f"logic-{index:04d}",
        input=prompt,
        expected=(answer,),
        tags=("ordering", f"people:{k}", f"rank:{rank + 1}"),
        context={"choices": sorted(people)},
    )


def _chain_case(rng: random.Random, index: int) -> Case:
    length = rng.randint(2, 5)
    props = rng.sample(_PROPOSITIONS, length + 1)
    rules = [f"If {a}, then {b}." for a, b in itertools.pairwise(props)]
    rng.shuffle(rules)
    if rng.random() < 0.5:  # modus ponens along the chain
        fact, question, answer = f"{props[0].capitalize()}.", f"Is it true that {props[-1]}?", "Yes"
        kind = "modus_ponens"
    else:  # modus tollens back along the chain
        neg = props[-1].replace(" is ", " is not ", 1)
        if neg == props[-1]:
            neg = f"it is not the case that {props[-1]}"
        fact, question, answer = f"{neg[0].upper()}{neg[1:]}.", f"Is it true that {props[0]}?", "No"
        kind = "modus_tollens"
    prompt = " ".join(rules) + f" {fact} {question} Answer Yes or No."
    return Case(
        id=f"logic-{index:04d}",
        input=prompt,
        expected=(answer,),
        tags=("chain", kind, f"rules:{length}"),
        context={"choices": ["Yes", "No"]},
    )


def _logic_case(rng: random.Random, index: int) -> Case:
    return _ordering_case(rng, index) if rng.random() < 0.5 else _chain_case(rng, index)


_FACTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "gold",
        "What is the chemical symbol for gold? Reply with just the symbol.",
        ("Au",),
        "chemistry",
    ),
    (
        "water",
        "What is the chemical formula of water? Reply with just the formula.",
        ("H2O",),
        "chemistry",
    ),
    (
        "oxygen_number",
        "What is the atomic number of oxygen? Reply with just the number.",
        ("8",),
        "chemistry",
    ),
    (
        "largest_planet",
        "What is the largest planet in our solar system? Reply with just the name.",
        ("Jupiter",),
        "astronomy",
    ),
    (
        "red_planet",
        "Which planet is known as the Red Planet? Reply with just the name.",
        ("Mars",),
        "astronomy",
    ),
    (
        "moon_landing",
        "In which year did humans first land on the Moon? Reply with just the year.",
        ("1969",),
        "history",
    ),
    (
        "ww2_end",
        "In which year did World War II end? Reply with just the year.",
        ("1945",),
        "history",
    ),
    (
        "telephone",
        "Who is credited with inventing the telephone? Reply with just the surname.",
        ("Bell",),
        "history",
    ),
    (
        "capital_japan",
        "What is the capital of Japan? Reply with just the city.",
        ("Tokyo",),
        "geography",
    ),
    (
        "capital_france",
        "What is the capital of France? Reply with just the city.",
        ("Paris",),
        "geography",
    ),
    (
        "capital_australia",
        "What is the capital of Australia? Reply with just the city.",
        ("Canberra",),
        "geography",
    ),
    (
        "longest_river",
        "Which river is the longest in South America? Reply with just the name.",
        ("Amazon",),
        "geography",
    ),
    (
        "largest_ocean",
        "What is the largest ocean on Earth? Reply with just the name.",
        ("Pacific",),
        "geography",
    ),
    (
        "continents",
        "How many continents are there by the usual count? Reply with just the number.",
        ("7", "seven"),
        "geography",
    ),
    (
        "boiling",
        "What is the boiling point of water at sea level in °C? Reply with just the number.",
        ("100",),
        "physics",
    ),
    (
        "light_speed",
        "Roughly how many kilometres per second does light travel? Reply with just the number.",
        ("300000", "300,000", "299792", "299,792"),
        "physics",
    ),
    (
        "gravity_unit",
        "What is the SI unit of force? Reply with just the name.",
        ("newton",),
        "physics",
    ),
    (
        "hamlet",
        "Who wrote the play Hamlet? Reply with just the surname.",
        ("Shakespeare",),
        "literature",
    ),
    (
        "quixote",
        "Who wrote Don Quixote? Reply with just the surname.",
        ("Cervantes",),
        "literature",
    ),
    (
        "week_days",
        "How many days are in a leap year? Reply with just the number.",
        ("366",),
        "general",
    ),
    (
        "hexagon",
        "How many sides does a hexagon have? Reply with just the number.",
        ("6", "six"),
        "general",
    ),
    (
        "bones",
        "How many legs does a spider have? Reply with just the number.",
        ("8", "eight"),
        "biology",
    ),
    (
        "photosynthesis",
        "Which gas do plants take in for photosynthesis? Reply with just the name.",
        ("carbon dioxide", "CO2"),
        "biology",
    ),
    (
        "dna",
        "What does the D in DNA stand for? Reply with just the word.",
        ("deoxyribo", "deoxyribonucleic"),
        "biology",
    ),
)


def _generated(
    name: str, make: Callable[[random.Random, int], Case], graders: tuple[GraderSpec, ...]
) -> Callable[[int, int], Scenario]:
    def build(size: int, seed: int) -> Scenario:
        cases = tuple(make(random.Random(f"{name}:{seed}:{i}"), i) for i in range(size))
        return Scenario(name, cases, graders, source=f"builtin:{name}", seed=seed)

    return build


def _factual(size: int, seed: int) -> Scenario:
    cases = tuple(
        Case(id=f"fact-{key}", input=q, expected=answers, tags=(topic,))
        for key, q, answers, topic in _FACTS[:size]
    )
    graders = (GraderSpec("contains", 1.0, {"ignore_case": True}),)
    return Scenario("factual", cases, graders, source="builtin:factual")


BUILTIN_SETS: dict[str, Callable[[int, int], Scenario]] = {
    "arith": _generated("arith", _arith_case, (GraderSpec("numeric", 1.0, {"tolerance": 1e-6}),)),
    "logic": _generated("logic", _logic_case, (GraderSpec("choice", 1.0),)),
    "factual": _factual,
}
"""Built-in sets by name: ``build(size, seed) -> Scenario``."""


def builtin_scenario(name: str, size: int | None = None, seed: int = 0) -> Scenario | None:
    """The built-in set ``name`` with ``size`` cases (default 50; ``factual`` has 24) generated
    from ``seed``, or None if there is no such set."""
    build = BUILTIN_SETS.get(name)
    if build is None:
        return None
    return build(size or (len(_FACTS) if name == "factual" else DEFAULT_SIZE), seed)
