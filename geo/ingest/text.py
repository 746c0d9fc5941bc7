"""White space in names and addresses, as ingest and edits store them.

Tabs, line breaks, full-width spaces (U+3000) and runs of spaces inside a name or an address
become one space; the ends are trimmed. The row (or edit) says when this changed a value.
"""

from __future__ import annotations

import re
from typing import Any

#: The fields whose white space is normalised.
TEXT_FIELDS = ("name_zh", "name_en", "host_zh", "host_en", "address_zh")
_SPACE = re.compile(r"\s+")  # Unicode white space: \t \n \r, U+3000, no-break space, ...


def collapse_space(text: str) -> str:
    """``text`` with every run of white space made one space, and trimmed.

    Examples
    --------
    >>> collapse_space(" 广州\\t生物\\u3000岛  实验室\\n")
    '广州 生物 岛 实验室'
    """
    return _SPACE.sub(" ", text).strip()


def normalise_text_fields(values: dict[str, Any]) -> str | None:
    """Collapse white space in ``values``' names and addresses in place.

    Returns a note naming the fields whose inner white space changed (trimming the ends alone
    is not noted), or ``None``.
    """
    changed = []
    for name in TEXT_FIELDS:
        value = values.get(name)
        if isinstance(value, str):
            values[name] = collapse_space(value)
            if values[name] != value.strip():
                changed.append(name)
    if not changed:
        return None
    return (
        f"white space normalised in {', '.join(changed)}: tabs, line breaks and runs of spaces "
        "(full-width too) became one space"
    )
