"""HTML views of matches, leads and trace results: in notebooks, and as one report file.

An investigator decides on evidence, not on a number. Every view here shows what matched:
the two photos side by side (small JPEG thumbnails embedded as ``data:`` URIs, read from
local files only), names and contact values with the differing characters marked, the
phrasing that matched, and each piece of evidence's weight as a bar of a match-weight
waterfall (from the prior log-odds, through each piece of evidence, to the final score).

Account data is hostile: every value is HTML-escaped, and invisible or direction-changing
characters (zero-width spaces, right-to-left overrides) are shown as ``U+XXXX`` markers so
a name cannot hide what it is.

Example:
    >>> from sellerlink.linker import Match
    >>> from sellerlink.signals.base import Evidence
    >>> m = Match("old", "new", 0.99, {"contacts": 9.0},
    ...           [Evidence("contacts", "phone", "0812-3456-7890", "+62 812 3456 7890", weight=9.0)])
    >>> '812<span class="slk-d">-</span>3456' in match_html(m)   # the differing dash is marked
    True
    >>> "<script>" in match_html(Match("<script>", "b", 0.5, {}, []))
    False

``write_report(result, path)`` writes a single self-contained HTML file (no external URL,
no network) for a :class:`~sellerlink.linker.TraceResult` or a
:class:`~sellerlink.linker.LinkResult`.
"""

from __future__ import annotations

import base64
import difflib
import functools
import html
import io
import logging
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from .linker import Lead, LinkResult, Match, TraceResult
    from .records import Account
    from .signals.base import Evidence

__all__ = [
    "diff_html",
    "lead_html",
    "link_table_html",
    "match_html",
    "thumbnail_data_uri",
    "trace_table_html",
    "write_report",
]

log = logging.getLogger(__name__)

#: Thumbnail size (longest side, pixels) in notebooks and in the report.
THUMB_PX = 160

_SIGNAL_COLOURS = {
    "contacts": "#1f77b4",
    "photos": "#9467bd",
    "names": "#2ca02c",
    "phrasing": "#ff7f0e",
}

# ---------------------------------------------------------------------------------------
# styles and script (scoped under .slk so notebook outputs do not leak into each other)

CSS = """
.slk{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:13px;color:#222;line-height:1.35}
.slk table{border-collapse:collapse;margin:4px 0}
.slk th,.slk td{border-bottom:1px solid #e3e3e3;padding:3px 6px;text-align:left;vertical-align:top}
.slk th{background:#f4f4f6;font-weight:600}
.slk .slk-match{border:1px solid #d8d8de;border-radius:6px;padding:8px 10px;margin:8px 0;background:#fff}
.slk .slk-head{display:flex;flex-wrap:wrap;align-items:center;gap:10px;margin-bottom:6px}
.slk .slk-acc{display:inline-flex;align-items:center;gap:6px;border:1px solid #ccd;border-radius:5px;
 padding:3px 6px;background:#fafafc}
.slk .slk-acc img,.slk .slk-acc .slk-ph{width:40px;height:40px;object-fit:cover}
.slk .slk-acc .slk-id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#555}
.slk .slk-acc.slk-violator{border-color:#c0392b;background:#fdf0ee}
.slk .slk-score{font-weight:700;padding:2px 8px;border-radius:10px;color:#fff;background:#888}
.slk .slk-score.hi{background:#c0392b}.slk .slk-score.mid{background:#e67e22}.slk .slk-score.lo{background:#7f8c8d}
.slk .slk-photos{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0}
.slk figure{margin:0;border:1px solid #e3e3e3;border-radius:5px;padding:4px;background:#fafafa}
.slk figure .slk-pair{display:flex;gap:4px;align-items:center}
.slk figure img{max-width:160px;max-height:160px;display:block}
.slk figcaption{font-size:11px;color:#555;max-width:330px;overflow-wrap:anywhere}
.slk .slk-ph{display:flex;align-items:center;justify-content:center;width:120px;height:120px;
 background:repeating-linear-gradient(45deg,#eee,#eee 6px,#f8f8f8 6px,#f8f8f8 12px);color:#888;font-size:11px;
 text-align:center;border:1px dashed #bbb}
.slk .slk-v{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere;max-width:340px}
.slk .slk-d{background:#fbd3d0;text-decoration:line-through;text-decoration-color:#c0392b}
.slk .slk-i{background:#cdeccf}
.slk .slk-cc{background:#ffe08a;color:#7a4b00;font-size:10px;border-radius:3px;padding:0 2px}
.slk .slk-same{color:#555}
.slk td.slk-sum{min-width:300px;max-width:520px;font-size:11px;color:#333;overflow-wrap:anywhere}
.slk .slk-bar{position:relative;width:220px;height:14px;background:#f6f6f8}
.slk .slk-bar span{position:absolute;top:2px;height:10px;border-radius:2px}
.slk .slk-bar .pos{background:#27ae60}.slk .slk-bar .neg{background:#c0392b}.slk .slk-bar .prior{background:#95a5a6}
.slk .slk-bar .total{background:#2c3e50}
.slk .slk-bar .zero{position:absolute;top:0;bottom:0;width:1px;background:#333}
.slk .slk-w{font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right;white-space:nowrap}
.slk .slk-sig{display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:4px}
.slk .slk-path{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:6px 0}
.slk .slk-edge{font-size:11px;color:#444;text-align:center}
.slk .slk-edge b{display:block;font-size:16px;color:#888}
.slk .slk-note{color:#666;font-size:12px}
.slk .slk-mini{display:inline-block;width:60px;height:8px;background:#eee;vertical-align:middle;margin-right:4px}
.slk .slk-mini span{display:block;height:8px;background:#c0392b}
"""

_PAGE_CSS = """
body{margin:0;background:#f0f1f4}
main{max-width:1200px;margin:0 auto;padding:16px 20px 60px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:18px 0 6px}h3{font-size:14px;margin:10px 0 4px}
.slk table.slk-leads{width:100%;background:#fff}
.slk table.slk-leads th{cursor:pointer;user-select:none;position:sticky;top:0}
.slk table.slk-leads th[aria-sort=ascending]::after{content:" \\25B2"}
.slk table.slk-leads th[aria-sort=descending]::after{content:" \\25BC"}
.slk table.slk-leads tr:hover td{background:#f7f9ff}
.slk section.slk-lead{background:#fff;border:1px solid #d8d8de;border-radius:8px;padding:10px 14px;margin:14px 0}
.slk section.slk-lead:target{box-shadow:0 0 0 3px #4a7bd0}
.slk .slk-back{float:right;font-size:12px}
.slk a{color:#2a5db0}
"""

_SORT_JS = """
(function(){
  function key(row, idx, num){
    var c = row.cells[idx]; if (!c) return num ? -Infinity : "";
    var v = c.hasAttribute("data-value") ? c.getAttribute("data-value") : c.textContent;
    if (num) { var x = parseFloat(v); return isNaN(x) ? -Infinity : x; }
    return v.trim().toLowerCase();
  }
  function sortBy(table, th, idx){
    var num = th.getAttribute("data-type") === "num";
    var cur = th.getAttribute("aria-sort");
    var dir = cur ? (cur === "ascending" ? -1 : 1) : (num ? -1 : 1);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = key(a, idx, num), y = key(b, idx, num);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return c * dir || (+a.getAttribute("data-i") - +b.getAttribute("data-i"));
    });
    rows.forEach(function(r){ body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(h){ h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.slk-sortable"), function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(th, idx){
      th.setAttribute("title", "click to sort");
      th.addEventListener("click", function(){ sortBy(table, th, idx); });
    });
  });
})();
"""

# ---------------------------------------------------------------------------------------
# escaping and diffs

_VISIBLE_WS = {" ", "\n", "\t"}


def _esc(text: Any) -> str:
    """HTML-escape ``text`` and show invisible or direction-changing characters as markers."""
    s = str(text)
    if s.isprintable():
        return html.escape(s, quote=True)
    out = []
    for ch in s:
        if ch in _VISIBLE_WS or ch.isprintable():
            out.append(html.escape(ch, quote=True))
        else:
            cat = unicodedata.category(ch)
            out.append(f'<span class="slk-cc" title="invisible character ({cat})">U+{ord(ch):04X}</span>')
    return "".join(out)


def _attr(text: Any) -> str:
    """Escape for an attribute value (no markup inside attributes)."""
    s = "".join(ch if ch.isprintable() or ch in _VISIBLE_WS else f"U+{ord(ch):04X}" for ch in str(text))
    return html.escape(s, quote=True)


_WORD_RE = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_DIFF_MAX = 400


def diff_html(left: str, right: str, *, words: bool = False) -> tuple[str, str]:
    """Both values, escaped, with the parts that differ marked.

    Characters only in ``left`` are wrapped in ``<span class="slk-d">``, characters only in
    ``right`` in ``<span class="slk-i">`` (difflib). ``words=True`` diffs word by word
    (better for sentences). Values longer than 400 characters are shortened first.

    >>> diff_html("0812-3456", "0812 3456")
    ('0812<span class="slk-d">-</span>3456', '0812<span class="slk-i"> </span>3456')
    >>> diff_html("<b>", "<b>")
    ('&lt;b&gt;', '&lt;b&gt;')
    """
    a, b = _clip(str(left)), _clip(str(right))
    if a == b:
        return _esc(a), _esc(b)
    sa: Sequence[str] = _WORD_RE.findall(a) if words else a
    sb: Sequence[str] = _WORD_RE.findall(b) if words else b
    sm = difflib.SequenceMatcher(None, sa, sb, autojunk=False)
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        pa, pb = "".join(sa[i1:i2]), "".join(sb[j1:j2])
        if op == "equal":
            out_a.append(_esc(pa))
            out_b.append(_esc(pb))
            continue
        if pa:
            out_a.append(f'<span class="slk-d">{_esc(pa)}</span>')
        if pb:
            out_b.append(f'<span class="slk-i">{_esc(pb)}</span>')
    return "".join(out_a), "".join(out_b)


def _clip(s: str, n: int = _DIFF_MAX) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"


# ---------------------------------------------------------------------------------------
# thumbnails


def _is_local_path(path: str) -> bool:
    p = path.strip()
    if not p or "\x00" in p:
        return False
    # Anything with a URL scheme (http://, file://, data:) is not read: the library never
    # reaches the network, and a report must not point outside itself.
    # ("C:\\x" and "C:/x" are Windows paths, not schemes.)
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|[^\\/])", p) is None


@functools.lru_cache(maxsize=2048)
def _thumb_cached(path: str, max_px: int, quality: int, stamp: tuple[int, int], limits: Limits) -> str | None:
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                w, h = im.size
                if w <= 0 or h <= 0 or w * h > limits.max_photo_pixels:
                    log.info("thumbnail skipped for %s: %dx%d pixels", path, w, h)
                    return None
                if im.format == "JPEG":
                    im.draft("RGB", (max_px * 2, max_px * 2))
                im.load()
                img = ImageOps.exif_transpose(im) or im
                if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
                    rgba = img.convert("RGBA")
                    bg = Image.new("RGB", rgba.size, (255, 255, 255))
                    bg.paste(rgba, mask=rgba.getchannel("A"))
                    img = bg
                else:
                    img = img.convert("RGB")
                img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=quality, optimize=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable photo becomes a placeholder
        log.info("thumbnail failed for %s: %s", path, exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def thumbnail_data_uri(
    path: str | os.PathLike[str],
    *,
    max_px: int = THUMB_PX,
    quality: int = 75,
    limits: Limits = DEFAULT_LIMITS,
) -> str | None:
    """A small JPEG thumbnail of a local photo as a ``data:`` URI, or ``None``.

    Only local files are read (a URL is never fetched). Missing, unreadable, oversized
    (``limits``) or non-image files give ``None``; this function never raises for a bad
    photo. Results are cached by path, size and modification time.

    >>> thumbnail_data_uri("/no/such/photo.jpg") is None
    True
    """
    if max_px < 8:
        raise ValueError(f"max_px must be at least 8, got {max_px}")
    p = os.fspath(path)
    if not isinstance(p, str) or not _is_local_path(p):
        return None
    try:
        st = os.stat(p)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(p) or st.st_size == 0 or st.st_size > limits.max_photo_bytes:
        return None
    return _thumb_cached(p, int(max_px), int(quality), (st.st_mtime_ns, st.st_size), limits)


def _img_html(path: str, *, max_px: int = THUMB_PX, css_class: str = "") -> str:
    uri = thumbnail_data_uri(path, max_px=max_px)
    name = _short(path)
    cls = f' class="{css_class}"' if css_class else ""
    if uri is None:
        return f'<div class="slk-ph{(" " + css_class) if css_class else ""}" title="{_attr(path)}">no photo<br>{_esc(_clip(name, 24))}</div>'
    return f'<img{cls} src="{uri}" alt="{_attr(name)}" title="{_attr(path)}">'


def _short(path: str) -> str:
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------
# building blocks


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-12), 1 - 1e-12)
    return math.log(p) - math.log1p(-p)


def _score_badge(score: float) -> str:
    cls = "hi" if score >= 0.9 else "mid" if score >= 0.5 else "lo"
    return f'<span class="slk-score {cls}" title="probability that both accounts are one seller">{score:.1%}</span>'


def _account_card(acc_id: str, accounts: Mapping[str, Account] | None, *, violator: bool = False) -> str:
    acc = accounts.get(acc_id) if accounts else None
    cls = "slk-acc slk-violator" if violator else "slk-acc"
    tag = ' <span class="slk-note">(violator)</span>' if violator else ""
    if acc is None:
        return f'<span class="{cls}"><span class="slk-id">{_esc(acc_id)}</span>{tag}</span>'
    photos = acc.all_photos
    pic = _img_html(photos[0], max_px=48) if photos else ""
    name = _esc(acc.display_name) if acc.display_name else '<span class="slk-note">(no name)</span>'
    sub = " · ".join(_esc(x) for x in (acc.username and "@" + acc.username, acc.platform, acc.created_at) if x)
    return (
        f'<span class="{cls}">{pic}<span><b>{name}</b>{tag}<br><span class="slk-id">{_esc(acc_id)}</span>'
        f"{('<br><span class=slk-note>' + sub + '</span>') if sub else ''}</span></span>"
    )


def _sig_dot(signal: str) -> str:
    colour = _SIGNAL_COLOURS.get(signal, "#999")
    return f'<span class="slk-sig" style="background:{colour}"></span>'


_LIST_FIELDS = {"phones", "emails", "bank_accounts", "links", "addresses", "phone", "email", "bank", "link", "address"}


def _evidence_label(e: Evidence) -> str:
    right_kind = e.extra.get("right_kind") if isinstance(e.extra, Mapping) else None
    kind = f"{e.kind} ~ {right_kind}" if isinstance(right_kind, str) and right_kind and right_kind != e.kind else e.kind
    return f"{e.signal} · {kind}"


def _evidence_notes(e: Evidence) -> list[str]:
    """Short escaped notes: what both values reduce to, where a value was found, rarity."""
    extra = e.extra if isinstance(e.extra, Mapping) else {}
    notes = []
    desc = extra.get("description")
    if isinstance(desc, str) and desc:
        notes.append(_esc(_clip(desc, 160)))
    elif e.key and e.key not in (e.left, e.right) and e.signal != "phrasing":
        # phrasing keys are sentence hashes: nothing a person can check
        notes.append(f"both → {_esc(_clip(e.key, 60))}")
    for side in ("left", "right"):
        src = extra.get(f"{side}_source")
        if isinstance(src, str) and src and src not in _LIST_FIELDS:
            notes.append(f"{side} found in {_esc(src)}")
    if e.similarity < 1.0:
        notes.append(f"similarity {e.similarity:.2f}")
    if e.shared_by > 2:
        notes.append(f"shared by {e.shared_by} accounts")
    return notes


def _waterfall_rows(match: Match) -> list[tuple[str, str, str, str, float, str]]:
    """Rows ``(kind, signal, left_html, right_html, weight, note)`` plus the prior first."""
    rows: list[tuple[str, str, str, str, float, str]] = []
    total = _logit(match.score)
    signal_sum = sum(float(w) for w in match.weights.values())
    prior = total - signal_sum
    rows.append(("prior", "", "", "", prior, "before any evidence: most pairs of sellers are strangers"))
    explained: dict[str, float] = {}
    for e in match.evidence:
        explained[e.signal] = explained.get(e.signal, 0.0) + float(e.weight)
        words = e.signal == "phrasing"
        if e.signal == "photos":
            lh, rh = _esc(_short(e.left)), _esc(_short(e.right))
        else:
            lh, rh = diff_html(e.left, e.right, words=words)
        rows.append((_evidence_label(e), e.signal, lh, rh, float(e.weight), ", ".join(_evidence_notes(e))))
    for s, w in match.weights.items():
        rest = float(w) - explained.get(s, 0.0)
        if abs(rest) >= 0.05:
            rows.append((f"{s} · other", s, "", "", rest, "weight not attributed to a single value"))
    return rows


def _bar(start: float, end: float, lo: float, hi: float, css: str) -> str:
    span = hi - lo or 1.0
    a, b = sorted((start, end))
    left = (a - lo) / span * 100
    width = max((b - a) / span * 100, 0.6)
    return f'<span class="{css}" style="left:{left:.2f}%;width:{width:.2f}%"></span>'


def _waterfall_html(match: Match) -> str:
    rows = _waterfall_rows(match)
    total = _logit(match.score)
    cums = [0.0]
    c = 0.0
    for *_, w, _n in rows:
        c += w
        cums.append(c)
    lo, hi = min(cums + [total]), max(cums + [total])
    pad = (hi - lo) * 0.03 or 1.0
    lo, hi = lo - pad, hi + pad
    zero = (0.0 - lo) / (hi - lo) * 100
    zero_line = f'<span class="zero" style="left:{zero:.2f}%" title="log-odds 0 = probability 50%"></span>'
    body = []
    c = 0.0
    for label, signal, lh, rh, w, note in rows:
        if label == "prior":
            bar = _bar(0.0, w, lo, hi, "prior")
        else:
            bar = _bar(c, c + w, lo, hi, "pos" if w >= 0 else "neg")
        c += w
        dot = _sig_dot(signal) if signal else ""
        body.append(
            f"<tr><td>{dot}{_esc(label)}</td><td class=slk-v>{lh}</td><td class=slk-v>{rh}</td>"
            f"<td class=slk-note>{note}</td><td class=slk-w>{w:+.2f}</td>"
            f'<td><div class="slk-bar">{zero_line}{bar}</div></td></tr>'
        )
    body.append(
        f"<tr><td><b>score</b></td><td colspan=3 class=slk-note>log-odds {total:+.2f} = probability "
        f"{match.score:.2%}</td><td class=slk-w><b>{total:+.2f}</b></td>"
        f'<td><div class="slk-bar">{zero_line}{_bar(0.0, total, lo, hi, "total")}</div></td></tr>'
    )
    head = (
        "<thead><tr><th>evidence</th><th>left account</th><th>right account</th><th></th>"
        "<th>weight</th><th>match-weight waterfall</th></tr></thead>"
    )
    return f'<table class="slk-ev">{head}<tbody>{"".join(body)}</tbody></table>'


def _photos_html(match: Match, max_photos: int) -> str:
    items = [e for e in match.evidence if e.signal == "photos"]
    if not items:
        return ""
    figs = []
    for e in items[:max_photos]:
        cap = [f"{_esc(_clip(_short(e.left), 40))} ~ {_esc(_clip(_short(e.right), 40))}"]
        det = []
        if e.similarity < 1.0:
            det.append(f"similarity {e.similarity:.2f}")
        if e.extra.get("transform"):
            det.append(_esc(e.extra["transform"]))
        if e.shared_by > 2:
            det.append(f"photo on {e.shared_by} accounts")
        det.append(f"weight {e.weight:+.2f}")
        cap.append(", ".join(det))
        figs.append(
            f'<figure><div class="slk-pair">{_img_html(e.left)}{_img_html(e.right)}</div>'
            f"<figcaption>{'<br>'.join(cap)}</figcaption></figure>"
        )
    more = len(items) - max_photos
    tail = f'<span class="slk-note">+{more} more matched photos</span>' if more > 0 else ""
    return f'<div class="slk-photos">{"".join(figs)}{tail}</div>'


def _match_body(match: Match, accounts: Mapping[str, Account] | None, max_photos: int, violators: set[str]) -> str:
    left = _account_card(match.left, accounts, violator=match.left in violators)
    right = _account_card(match.right, accounts, violator=match.right in violators)
    names = ""
    if accounts and match.left in accounts and match.right in accounts:
        a, b = accounts[match.left].display_name, accounts[match.right].display_name
        if a and b and a != b:
            da, db = diff_html(a, b)
            names = f'<div class="slk-note">display names: <span class=slk-v>{da}</span> → <span class=slk-v>{db}</span></div>'
    return (
        f'<div class="slk-match"><div class="slk-head">{left}<span>⟷</span>{right}{_score_badge(match.score)}</div>'
        f"{names}{_photos_html(match, max_photos)}{_waterfall_html(match)}</div>"
    )


def _wrap(body: str) -> str:
    return f'<div class="slk"><style>{CSS}</style>{body}</div>'


# ---------------------------------------------------------------------------------------
# public views (notebook _repr_html_)


def match_html(match: Match, *, accounts: Mapping[str, Account] | None = None, max_photos: int = 4) -> str:
    """A match as HTML: the two accounts, matched photos, diffed values and the waterfall.

    ``accounts`` (id -> :class:`~sellerlink.records.Account`) adds names and profile
    photos to the header; without it only the ids are known.
    """
    return _wrap(_match_body(match, accounts, max_photos, set()))


def _accounts_of(obj: Any) -> dict[str, Account]:
    """id -> Account from a Lead, LinkResult, TraceResult or PairTable (empty if unknown)."""
    for attr in ("pairs", "link"):
        inner = getattr(obj, attr, None)
        if inner is not None and inner is not obj:
            found = _accounts_of(inner)
            if found:
                return found
    fps = getattr(obj, "fingerprints", None)
    accs = getattr(fps, "accounts", None)
    if accs:
        return {a.account_id: a for a in accs}
    return {}


def _path_html(lead: Lead, accounts: Mapping[str, Account], steps: Sequence[Match]) -> str:
    parts = []
    for k, node in enumerate(lead.path):
        parts.append(_account_card(node, accounts, violator=node == lead.violator_id))
        if k < len(lead.path) - 1:
            if k < len(steps):
                m = steps[k]
                top = sorted(((w, s) for s, w in m.weights.items() if w > 0.05), reverse=True)[:2]
                via = ", ".join(_esc(s) for _, s in top) or "weak"
                parts.append(f'<span class="slk-edge"><b>→</b>{m.score:.0%}<br>{via}</span>')
            else:
                parts.append('<span class="slk-edge"><b>→</b></span>')
    return f'<div class="slk-path">{"".join(parts)}</div>'


def _oriented(match: Match, left_id: str) -> Match:
    """The match with ``left_id`` on the left (evidence values swapped to follow)."""
    if match.left == left_id or match.right != left_id:
        return match
    from dataclasses import replace

    return replace(match, left=match.right, right=match.left, evidence=[_swapped(e) for e in match.evidence])


def _swapped(e: Evidence) -> Evidence:
    """The evidence seen from the other side: values and ``left_*``/``right_*`` extras swap."""
    from dataclasses import replace

    extra = dict(e.extra) if isinstance(e.extra, Mapping) else {}
    kind = e.kind
    swapped: dict[str, Any] = {}
    for k, v in extra.items():
        if k.startswith("left_"):
            swapped["right_" + k[5:]] = v
        elif k.startswith("right_"):
            swapped["left_" + k[6:]] = v
        else:
            swapped[k] = v
    right_kind = extra.get("right_kind")
    if isinstance(right_kind, str) and right_kind:
        kind, swapped["right_kind"] = right_kind, e.kind
        swapped.pop("left_kind", None)
    return replace(e, kind=kind, left=e.right, right=e.left, extra=swapped)


def _lead_body(lead: Lead, accounts: Mapping[str, Account], max_photos: int) -> str:
    # Each step reads along the path: from the live account towards the violator.
    steps = [_oriented(m, lead.path[k]) if k < len(lead.path) else m for k, m in enumerate(lead.steps)]
    hops = len(lead.path) - 1
    how = "direct match" if hops == 1 else f"through {hops - 1} other account{'s' if hops > 2 else ''}"
    head = (
        f'<div class="slk-head"><b>{_esc(lead.account_id)}</b><span>→ violator</span><b>{_esc(lead.violator_id)}</b>'
        f'{_score_badge(lead.score)}<span class="slk-note">{how}</span></div>'
    )
    matches = "".join(_match_body(m, accounts, max_photos, {lead.violator_id}) for m in steps)
    if not steps:
        matches = '<div class="slk-note">no pair evidence attached to this lead</div>'
    return head + _path_html(lead, accounts, steps) + matches


def lead_html(lead: Lead, *, max_photos: int = 4) -> str:
    """A lead as HTML: the path from the account to the violator, then each step's match."""
    return _wrap(_lead_body(lead, _accounts_of(lead), max_photos))


def _mini_bar(score: float) -> str:
    return f'<span class="slk-mini"><span style="width:{max(0.0, min(score, 1.0)) * 100:.1f}%"></span></span>'


def _top_signals(lead: Lead) -> str:
    tot: dict[str, float] = {}
    for m in lead.steps:
        for s, w in m.weights.items():
            tot[s] = tot.get(s, 0.0) + float(w)
    top = sorted(((w, s) for s, w in tot.items() if w > 0.05), reverse=True)
    return ", ".join(s for _, s in top)


def _selected_leads(result: TraceResult, max_leads: int) -> tuple[list[Lead], int]:
    chosen = [ld for ld in result.leads if ld.score >= result.threshold]
    chosen.sort(key=lambda ld: (-ld.score, ld.account_id, ld.violator_id))
    return chosen[:max_leads], len(chosen)


def trace_table_html(result: TraceResult, *, max_rows: int = 50) -> str:
    """The leads at or above the threshold as an HTML table (best first)."""
    leads, n = _selected_leads(result, max_rows)
    accounts = _accounts_of(result)
    rows = []
    for ld in leads:
        acc = accounts.get(ld.account_id)
        vio = accounts.get(ld.violator_id)
        rows.append(
            f"<tr><td class=slk-id>{_esc(ld.account_id)}</td><td>{_esc(acc.display_name if acc else '')}</td>"
            f"<td class=slk-id>{_esc(ld.violator_id)}</td><td>{_esc(vio.display_name if vio else '')}</td>"
            f"<td class=slk-w>{_mini_bar(ld.score)}{ld.score:.3f}</td><td>{len(ld.path) - 1}</td>"
            f"<td>{_esc(_top_signals(ld))}</td><td class=slk-sum>{_esc(_clip(ld.summary(), 200))}</td></tr>"
        )
    head = (
        "<thead><tr><th>account</th><th>name</th><th>violator</th><th>violator name</th><th>score</th>"
        "<th>hops</th><th>signals</th><th>evidence</th></tr></thead>"
    )
    note = (
        f'<div class="slk-note">{n} lead{"s" if n != 1 else ""} at or above {result.threshold:.2f}'
        + (f"; showing the best {len(leads)} (display a Lead for its evidence)" if n > len(leads) else "")
        + "</div>"
    )
    return _wrap(f"{note}<table>{head}<tbody>{''.join(rows)}</tbody></table>")


def _best_matches(result: LinkResult, limit: int) -> tuple[list[Match], int]:
    """The ``limit`` best pairs at or above the threshold (evidence built for those only), and how many there are."""
    import numpy as np

    pairs = result.pairs
    score = np.asarray(pairs.score)
    keep = np.flatnonzero(score >= result.threshold)
    order = keep[np.argsort(-score[keep], kind="stable")][:limit]
    return [pairs.match(int(k)) for k in order], len(keep)


def link_table_html(result: LinkResult, *, max_rows: int = 50) -> str:
    """The pairs at or above the threshold as an HTML table, with their clusters."""
    matches, _ = _best_matches(result, max_rows)
    accounts = _accounts_of(result)
    rows = []
    for m in matches:
        rows.append(
            f"<tr><td class=slk-id>{_esc(m.left)}</td><td>{_esc(_name(accounts, m.left))}</td>"
            f"<td class=slk-id>{_esc(m.right)}</td><td>{_esc(_name(accounts, m.right))}</td>"
            f"<td class=slk-w>{_mini_bar(m.score)}{m.score:.3f}</td><td>{result.clusters.get(m.left, '')}</td>"
            f"<td class=slk-sum>{_esc(_clip(m.summary(), 200))}</td></tr>"
        )
    head = (
        "<thead><tr><th>left</th><th>name</th><th>right</th><th>name</th><th>score</th><th>cluster</th>"
        "<th>evidence</th></tr></thead>"
    )
    return _wrap(f"<table>{head}<tbody>{''.join(rows)}</tbody></table>")


def _name(accounts: Mapping[str, Account], acc_id: str) -> str:
    acc = accounts.get(acc_id)
    return acc.display_name if acc else ""


# ---------------------------------------------------------------------------------------
# the report file


def _page(title: str, body: str) -> str:
    # The CSP forbids every network fetch: images must be data: URIs, scripts and styles inline.
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_esc(title)}</title><style>{CSS}{_PAGE_CSS}</style></head>"
        f'<body><main class="slk">{body}</main><script>{_SORT_JS}</script></body></html>\n'
    )


def _th(label: str, num: bool = False) -> str:
    return f'<th data-type="{"num" if num else "text"}">{_esc(label)}</th>'


def _trace_report(result: TraceResult, max_leads: int, max_photos: int) -> tuple[str, str]:
    leads, n = _selected_leads(result, max_leads)
    accounts = _accounts_of(result)
    rows = []
    sections = []
    for i, ld in enumerate(leads):
        hops = len(ld.path) - 1
        rows.append(
            f'<tr data-i="{i}"><td data-value="{i + 1}">{i + 1}</td>'
            f'<td><a href="#lead-{i + 1}">{_esc(ld.account_id)}</a></td><td>{_esc(_name(accounts, ld.account_id))}</td>'
            f"<td>{_esc(ld.violator_id)}</td><td>{_esc(_name(accounts, ld.violator_id))}</td>"
            f'<td data-value="{ld.score:.9f}">{_mini_bar(ld.score)}{ld.score:.3f}</td>'
            f'<td data-value="{hops}">{hops}</td><td>{_esc(_top_signals(ld))}</td>'
            f"<td class=slk-sum>{_esc(_clip(ld.summary(), 160))}</td></tr>"
        )
        sections.append(
            f'<section class="slk-lead" id="lead-{i + 1}"><a class="slk-back" href="#leads">back to the table</a>'
            f"<h3>Lead {i + 1}: {_esc(ld.account_id)} → {_esc(ld.violator_id)}</h3>"
            f"{_lead_body(ld, accounts, max_photos)}</section>"
        )
    head = "".join(
        [
            _th("#", True),
            _th("account"),
            _th("name"),
            _th("violator"),
            _th("violator name"),
            _th("score", True),
            _th("hops", True),
            _th("signals"),
            _th("evidence"),
        ]
    )
    n_acc = len(accounts)
    n_vio = len({ld.violator_id for ld in result.leads})
    summary = (
        f'<p class="slk-note">{n_acc} accounts fingerprinted; {n} lead{"s" if n != 1 else ""} at or above '
        f"probability {result.threshold:.2f}"
        + (f"; the best {len(leads)} are shown (max_leads)" if n > len(leads) else "")
        + f"; leads point to {n_vio} violator{'s' if n_vio != 1 else ''} (any score). "
        "Click a column header to sort; click an account for its evidence.</p>"
    )
    table = (
        f'<h2 id="leads">Leads</h2>{summary}<table class="slk-leads slk-sortable" id="leads-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    if not leads:
        table += '<p class="slk-note">No account reached the threshold.</p>'
    return table, ("<h2>Evidence</h2>" + "".join(sections)) if sections else ""


def _link_report(result: LinkResult, max_leads: int, max_photos: int) -> tuple[str, str]:
    matches, n_all = _best_matches(result, max_leads)
    accounts = _accounts_of(result)
    members = result.cluster_members()
    rows = []
    sections = []
    for i, m in enumerate(matches):
        cl = result.clusters.get(m.left, -1)
        rows.append(
            f'<tr data-i="{i}"><td data-value="{i + 1}">{i + 1}</td>'
            f'<td><a href="#lead-{i + 1}">{_esc(m.left)}</a></td><td>{_esc(_name(accounts, m.left))}</td>'
            f"<td>{_esc(m.right)}</td><td>{_esc(_name(accounts, m.right))}</td>"
            f'<td data-value="{m.score:.9f}">{_mini_bar(m.score)}{m.score:.3f}</td>'
            f'<td data-value="{cl}">{cl} ({len(members.get(cl, []))})</td>'
            f"<td class=slk-sum>{_esc(_clip(m.summary(), 160))}</td></tr>"
        )
        sections.append(
            f'<section class="slk-lead" id="lead-{i + 1}"><a class="slk-back" href="#leads">back to the table</a>'
            f"<h3>Pair {i + 1}: {_esc(m.left)} ~ {_esc(m.right)} (cluster {cl})</h3>"
            f"{_match_body(m, accounts, max_photos, set())}</section>"
        )
    head = "".join(
        [
            _th("#", True),
            _th("left"),
            _th("name"),
            _th("right"),
            _th("name"),
            _th("score", True),
            _th("cluster (size)", True),
            _th("evidence"),
        ]
    )
    big = sorted((c for c, ms in members.items() if len(ms) > 1), key=lambda c: -len(members[c]))
    summary = (
        f'<p class="slk-note">{len(accounts)} accounts; {n_all} pairs at or above probability '
        f"{result.threshold:.2f}"
        + (f"; the best {len(matches)} are shown" if n_all > len(matches) else "")
        + f"; {len(big)} clusters of two or more accounts. Click a column header to sort.</p>"
    )
    clusters = "".join(
        f"<tr><td>{c}</td><td>{len(members[c])}</td><td class=slk-v>"
        + ", ".join(_esc(a) for a in members[c][:30])
        + (" …" if len(members[c]) > 30 else "")
        + "</td></tr>"
        for c in big[:200]
    )
    table = (
        f'<h2 id="leads">Linked pairs</h2>{summary}<table class="slk-leads slk-sortable" id="leads-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (
            "<h2>Clusters</h2><table><thead><tr><th>cluster</th><th>size</th><th>accounts</th></tr></thead>"
            f"<tbody>{clusters}</tbody></table>"
            if big
            else ""
        )
    )
    return table, ("<h2>Evidence</h2>" + "".join(sections)) if sections else ""


def write_report(
    result: TraceResult | LinkResult,
    path: str | os.PathLike[str],
    *,
    max_leads: int = 500,
    title: str | None = None,
    max_photos: int = 3,
) -> Path:
    """Write one self-contained HTML report for a trace or link run; return its path.

    The file has a sortable table of leads (trace) or linked pairs (link), best first,
    and for each a section with the accounts, the matched photos side by side, the
    diffed values, the match-weight waterfall and (for leads) the graph path to the
    violator. Thumbnails are embedded; the page loads nothing from anywhere (a Content
    Security Policy forbids it).

    Args:
        result: what :meth:`Linker.trace` or :meth:`Linker.link` returned.
        path: the ``.html`` file to write (parent folders are created).
        max_leads: at most this many leads (or pairs) get a row and a section.
        title: the page title (default: "sellerlink trace report" / "link report").
        max_photos: matched photo pairs shown per match.

    Example:
        >>> import tempfile, os
        >>> from sellerlink import Linker
        >>> res = Linker().trace([{"account_id": "new", "phones": ["0812-3456-7890"]}],
        ...                      [{"account_id": "old", "phones": ["+62 812 3456 7890"]}])
        >>> out = write_report(res, os.path.join(tempfile.mkdtemp(), "r.html"))
        >>> "new" in out.read_text(encoding="utf-8")
        True
    """
    if max_leads < 0:
        raise ValueError(f"max_leads must be 0 or more, got {max_leads}")
    if max_photos < 0:
        raise ValueError(f"max_photos must be 0 or more, got {max_photos}")
    if hasattr(result, "leads") and hasattr(result, "link"):
        kind = "trace"
        table, sections = _trace_report(result, max_leads, max_photos)  # type: ignore[arg-type]
        threshold = result.threshold
    elif hasattr(result, "pairs") and hasattr(result, "clusters"):
        kind = "link"
        table, sections = _link_report(result, max_leads, max_photos)  # type: ignore[arg-type]
        threshold = result.threshold
    else:
        raise TypeError(f"write_report needs a TraceResult or LinkResult, got {type(result).__name__}")
    from . import __version__

    title = title if title is not None else f"sellerlink {kind} report"
    intro = (
        f"<h1>{_esc(title)}</h1><p class=slk-note>sellerlink {_esc(__version__)} · threshold {threshold:.2f} · "
        "scores are calibrated probabilities that two accounts belong to one seller; weights are natural-log "
        "likelihood ratios (positive: evidence for one seller).</p>"
    )
    out = Path(path)
    if out.exists() and out.is_dir():
        raise IsADirectoryError(f"report path is a folder: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = _page(title, intro + table + sections)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    log.info("wrote %s report to %s (%d bytes)", kind, out, len(text))
    return out


def _thumb_image(path: str, *, max_px: int = THUMB_PX) -> Any:
    """The thumbnail as a PIL RGB image, or None (for drawings)."""
    uri = thumbnail_data_uri(path, max_px=max_px)
    if uri is None:
        return None
    from PIL import Image

    data = base64.b64decode(uri.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")
