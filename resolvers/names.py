"""How Dutch names are shown and sorted ("J. van Dijk"; sorted as "dijk, jan van")."""

from __future__ import annotations

import re


def sort_name(first_name: str, name_prefix: str | None, last_name: str) -> str:
    """The lower-case sort key of a membership row: "lastname, firstname prefix" (C1).

    Dutch lists sort on the last name without its prefix ("tussenvoegsel"): Van Dijk under D.

    >>> sort_name("Jan", "van", "Dijk")
    'dijk, jan van'
    >>> sort_name("Marieke", None, "Jansen")
    'jansen, marieke'
    """
    key = f"{last_name.strip()}, {first_name.strip()}"
    prefix = (name_prefix or "").strip()
    if prefix:
        key = f"{key} {prefix}"
    return key.lower()


def display_name(initials: str, name_prefix: str | None, last_name: str) -> str:
    """Initials, prefix and last name as a letter is addressed: "J. van Dijk", "F. d'Ancona".

    >>> display_name("J.", "van", "Dijk")
    'J. van Dijk'
    >>> display_name("F.H.J.", "d'", "Ancona")
    "F.H.J. d'Ancona"
    """
    prefix = (name_prefix or "").strip()
    if prefix.endswith(("'", "’")):
        surname = prefix + last_name.strip()
    else:
        surname = f"{prefix} {last_name.strip()}".strip()
    return f"{initials.strip()} {surname}".strip()


def name_search_words(text: str) -> list[str]:
    """The lower-case pieces of a name search that must each occur in a sort name (C1).

    Words split on spaces and commas, and after an apostrophe, so that the order people type a
    name in does not matter: "van Dijk" finds "dijk, jan van", "d'Ancona" finds "ancona, floris d'".

    >>> name_search_words("Van Dijk, Jan")
    ['van', 'dijk', 'jan']
    >>> name_search_words("d'Ancona")
    ["d'", 'ancona']
    """
    return re.findall(r"[^\s,']*'|[^\s,']+", text.lower())


def last_name_readings(text: str) -> list[tuple[str, str | None]]:
    """Each way to read ``text`` as a last name, possibly preceded by its prefix (C1).

    A name equals the search when its last name is one of the readings and its prefix, if the
    reading has one, is the given prefix. The split falls at a space (dropped) or right after an
    apostrophe (kept with the prefix), so "van der Berg", "Berg" and "d'Ancona" all match.

    >>> last_name_readings("van der  Berg")
    [('van der berg', None), ('der berg', 'van'), ('berg', 'van der')]
    >>> last_name_readings("d'Ancona")
    [("d'ancona", None), ('ancona', "d'")]
    """
    lowered = " ".join(text.lower().split())
    readings: list[tuple[str, str | None]] = [(lowered, None)]
    for position, character in enumerate(lowered):
        if character == " ":
            readings.append((lowered[position + 1 :], lowered[:position]))
        elif character == "'" and 0 < position < len(lowered) - 1:
            readings.append((lowered[position + 1 :].lstrip(), lowered[: position + 1]))
    return readings
