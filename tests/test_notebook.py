"""The example notebook runs from top to bottom (so it never rots), and shows the evidence.

Needs ``nbclient``, ``nbformat`` and ``ipykernel`` (the test is skipped without them).
The notebook uses ``examples/marketplace`` when it exists and otherwise generates a small
marketplace itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install nbclient nbformat ipykernel to run the notebook")
nbclient = pytest.importorskip("nbclient", reason="pip install nbclient nbformat ipykernel to run the notebook")
pytest.importorskip("ipykernel", reason="pip install nbclient nbformat ipykernel to run the notebook")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOK = EXAMPLES / "investigation.ipynb"


def _outputs(nb, kind: str) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if kind == "html" and o.get("output_type") in ("execute_result", "display_data"):
                out.append(o.get("data", {}).get("text/html", ""))
            elif kind == "text":
                if o.get("output_type") == "stream":
                    out.append(o.get("text", ""))
                elif o.get("output_type") in ("execute_result", "display_data"):
                    out.append(o.get("data", {}).get("text/plain", ""))
            elif kind == "png" and o.get("output_type") in ("execute_result", "display_data"):
                out.append(o.get("data", {}).get("image/png", ""))
    return out


def test_example_notebook_runs_to_a_decision():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = nbclient.NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    html = "\n".join(_outputs(nb, "html"))
    text = "\n".join(_outputs(nb, "text"))
    # the leads table and at least one lead rendered as evidence, with embedded photos
    assert 'class="slk"' in html and 'class="slk-match"' in html
    assert "match-weight waterfall" in html
    assert "data:image/jpeg;base64," in html
    # the cluster picture was drawn (matplotlib is installed with the test extras)
    assert any(png for png in _outputs(nb, "png"))
    # the decision and the case file
    assert "take down" in text or "review" in text
    m = re.search(r"case file: (\S+\.html)", text)
    assert m, text[-2000:]
    report = Path(m.group(1))
    assert report.exists() and report.stat().st_size > 10_000
    # the check against the truth found the comebacks it flagged mostly right
    m = re.search(r"precision\s+([0-9.]+)", text)
    assert m and float(m.group(1)) >= 0.8, text[-2000:]
