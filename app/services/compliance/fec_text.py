"""Text as the FEC takes it: printable ASCII, names split in two, purposes within 100 characters.

Names: TripLedger keeps a person's name in one field (``User.full_name``, ``Payer.name``).
The FEC wants it split. We take the last word as the last name and the words before it as the
first name; a note in brackets ("Dana Whitfield (host, Durham)") is not part of the name, and
middle name, prefix and suffix stay blank. A name of one word cannot be split: the row is
listed as incomplete rather than guessed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Punctuation that NFKD leaves alone but has a plain ASCII twin.
_TWINS = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-",
                        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2026": "...", "\u00a0": " ", "\u00df": "ss", "\u00e6": "ae",
                        "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE", "\u00f8": "o",
                        "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u0111": "d",
                        "\u0110": "D", "\u00fe": "th", "\u00de": "TH"})
_BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]")


def ascii_fold(text: str | None) -> str:
    """``text`` in printable ASCII: accents dropped (é → e), dashes and quotes made plain,
    anything else left out; runs of white space become one space."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_TWINS)).translate(_TWINS)
    kept = "".join(ch for ch in text if not unicodedata.combining(ch))
    kept = "".join(ch if " " <= ch <= "~" else " " for ch in kept.encode("ascii", "ignore")
                   .decode("ascii"))
    return " ".join(kept.split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a word break when there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-(")


@dataclass(frozen=True)
class SplitName:
    last: str
    first: str


def split_name(full_name: str | None) -> SplitName | None:
    """First and last name of a person, in ASCII; None when it cannot be split (one word)."""
    words = ascii_fold(_BRACKETED.sub("", full_name or "")).split()
    if len(words) < 2:
        return None
    return SplitName(last=words[-1], first=" ".join(words[:-1]))


def purpose(prefix: str, text: str, limit: int = 100) -> str:
    """``prefix`` ("In-Kind: ") and ``text``, ASCII-folded, at most ``limit`` characters."""
    return prefix + clip(ascii_fold(text), limit - len(prefix))
