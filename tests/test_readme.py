"""The README's Python examples run as written (from the repository root)."""

import re
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_blocks_run(monkeypatch, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has Python examples"
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    out = capsys.readouterr().out
    # the main example traced a lead and printed it with its evidence
    assert len(namespace["leads"]) > 0
    assert namespace["lead"].violator_id in out
    assert any(ev.signal in out for ev in namespace["lead"].steps[0].evidence)
    assert namespace["lead"].score >= 0.5
    assert namespace["clusters"]["cluster_id"].nunique() < len(namespace["clusters"])
