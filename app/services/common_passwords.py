"""Is a password one that attackers try first?

``app/data/common_passwords.txt`` holds the 10,000 most common passwords of leaked sets (see
its header for the source). A password is refused when, in lower case, it is one of them, or
becomes one once the digits, symbols and spaces around it are stripped ("Password2024!",
"monkey123456"), or is one of them said twice or more ("qwertyqwerty"): the first things a
guesser adds. Passphrases of ordinary words pass. Loaded once per process (about 80 KB).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

LIST_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@lru_cache(maxsize=1)
def common() -> frozenset[str]:
    lines = LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _repeated_unit(text: str) -> str | None:
    """"abcabc" → "abc"; None when ``text`` is not one piece said twice or more."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return None


def is_common(password: str) -> bool:
    lowered = (password or "").lower()
    words = common()
    if lowered in words:
        return True
    core = _AROUND.sub("", lowered)
    if core and core in words:
        return True
    for text in {lowered, core}:
        unit = _repeated_unit(text) if text else None
        if unit is not None and (unit in words or len(unit) < 4):
            return True
    return False
