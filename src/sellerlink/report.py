"""HTML views of matches, leads and trace results (notebooks and the report command)."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["match_html", "lead_html", "trace_table_html"]


def match_html(match: Any) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e.signal)}</td><td>{html.escape(e.kind)}</td>"
        f"<td>{html.escape(e.left)}</td><td>{html.escape(e.right)}</td><td>{e.weight:+.2f}</td></tr>"
        for e in match.evidence
    )
    return (
        f"<div><b>{html.escape(match.left)}</b> ~ <b>{html.escape(match.right)}</b> "
        f"score {match.score:.3f}<table>{rows}</table></div>"
    )


def lead_html(lead: Any) -> str:
    return "".join(match_html(m) for m in lead.steps)


def trace_table_html(result: Any) -> str:
    return str(result.to_frame().to_html(index=False))
