"""Reading the CLI's text output in tests (tests/cli)."""
from __future__ import annotations

import re


def text_fields(text: str) -> dict:
    """The ``Label: value`` lines of a mode's text output as {label: value}: tests
    assert what a field says, not how the columns are padded."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([^:]+?):\s+(\S.*?)\s*$", line)
        if m:
            out.setdefault(m.group(1).strip(), m.group(2))
    return out
