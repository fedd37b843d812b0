"""A person's name, as the API takes it: 2 to 100 characters of letters, spaces and `.'-,` (API.md).

Names are quoted in messages to other people (the worker's consent SMS names the sponsor), so a name
must not be able to carry a message of its own: no digits, no links, no other punctuation (QUALITY.md
Security 12). Letters are any script's letters, with their combining marks ("Ngurah Ráka", "Nguyễn").
"""

import re
import unicodedata

MIN_LENGTH = 2
MAX_LENGTH = 100
PUNCTUATION = frozenset(".'-,")
# Typographic apostrophes (phone keyboards type them for ' in "Ma'ruf") are the same apostrophe.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
# A dot followed by two letters is a web address ("bpjs.id"). Initials have one letter between dots
# ("R.A. Kartini"); a dot before a word is followed by a space ("Moh. Hatta").
_WEB_ADDRESS = re.compile(r"\.[^\W\d_]{2}")


class InvalidName(ValueError):
    pass


def name_normalize(raw: str) -> str:
    """The name in canonical form (NFC, straight apostrophes, single spaces, trimmed), or InvalidName."""
    value = " ".join(unicodedata.normalize("NFC", raw).translate(_APOSTROPHES).split())
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        raise InvalidName("length")
    previous = " "
    for char in value:
        category = unicodedata.category(char)
        if category[0] == "M":
            # A combining mark belongs to the letter before it.
            if unicodedata.category(previous)[0] not in "LM":
                raise InvalidName("character")
        elif category[0] != "L" and char != " " and char not in PUNCTUATION:
            raise InvalidName("character")
        previous = char
    if not any(unicodedata.category(char)[0] == "L" for char in value):
        raise InvalidName("character")
    if _WEB_ADDRESS.search(value):
        raise InvalidName("web_address")
    return value


def name_quotable(value: str | None) -> str | None:
    """`value` in canonical form if it is a valid name, else None: the only way a name stored before
    names were validated (or typed in the back office) may be quoted in a message to someone else."""
    if not isinstance(value, str):
        return None
    try:
        return name_normalize(value)
    except InvalidName:
        return None
