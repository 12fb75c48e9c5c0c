"""Plurals and articles in one place, for Python and templates (the ``plural`` and
``with_article`` filters of ``web.templatetags.ui``): "1 case", "3 cases", "an improvement".

Every count or indefinite article written into a sentence goes through these; a hand-made
``"s" if n != 1`` or ``{{ n }} cases`` drifts ("1 cases", "a improvement").
"""

from __future__ import annotations

#: Nouns whose plural is not the noun with "s" / "es".
IRREGULAR = {
    "person": "people",
    "entry": "entries",
    "activity": "activities",
    "policy": "policies",
    "capacity": "capacities",
    "story": "stories",
    "query": "queries",
    "reply": "replies",
    "child": "children",
}

#: Words that start with a vowel letter but a consonant sound ("a user"), and the other way
#: round ("an hour").
CONSONANT_SOUND = ("uni", "use", "usu", "one", "eu")
VOWEL_SOUND = ("hour", "honest", "honour", "heir")
#: Initialisms are read letter by letter: "an RTE", "an L3+ developer", "an SLA", "a PM".
VOWEL_LETTERS = frozenset("AEFHILMNORSX")


def plural_of(noun: str) -> str:
    """The plural of an English noun, for the nouns this product counts."""
    if not noun:
        return noun
    lower = noun.lower()
    for singular, plural in IRREGULAR.items():
        if lower.endswith(singular):
            return noun[: len(noun) - len(singular)] + _same_case(singular, plural, noun)
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _same_case(singular: str, plural: str, given: str) -> str:
    tail = given[-len(singular) :]
    if tail.isupper():
        return plural.upper()
    return plural.capitalize() if tail[:1].isupper() else plural


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``plural(1, "case")`` is "1 case", ``plural(3, "case")`` "3 cases"; ``many`` overrides
    the plural form. Counts are written with thousands separators ("1,204 items")."""
    word = noun if count == 1 else (many or plural_of(noun))
    return f"{count:,} {word}"


def noun_for(count: int, noun: str, many: str | None = None) -> str:
    """Only the noun, in the form the count asks for: "case" or "cases"."""
    return noun if count == 1 else (many or plural_of(noun))


def article(word: str) -> str:
    """ "a" or "an" for the word that follows, by its sound."""
    lower = word.strip().lower()
    if not lower:
        return "a"
    first = word.split(maxsplit=1)[0].rstrip("+-.,:;")
    if len(first) >= 2 and first.isupper() and first.isalnum():
        return "an" if first[0] in VOWEL_LETTERS else "a"
    if lower.startswith(VOWEL_SOUND):
        return "an"
    if lower.startswith(CONSONANT_SOUND):
        return "a"
    return "an" if lower[0] in "aeiou" else "a"


def with_article(word: str) -> str:
    """``with_article("improvement")`` is "an improvement", ``with_article("bug")`` "a bug"."""
    return f"{article(word)} {word}"
