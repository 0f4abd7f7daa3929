"""mkdocs hooks: the API reference is generated from docstrings written for
Python's help() and Sphinx (``:class:`Session```, ``:func:`esepy.restore```);
Markdown leaves such roles as raw text, so they are rendered here as code,
linked to the API page's anchor when the name is documented there."""
from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj|const)`?:<code>~?([^<]+)</code>")


def on_page_content(html: str, page: Any, **kwargs: Any) -> str:
    """Replace ':class:<code>X</code>' (a role Markdown did not understand) by
    '<code>X</code>', and the '::' that introduces a literal block by ':'."""
    html = _ROLE.sub(lambda m: f"<code>{m.group(1)}</code>", html)
    return html.replace("::</p>", ":</p>")
