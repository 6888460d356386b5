"""The investigator's HTML views: escaping, diffs, thumbnails, the waterfall, the report file."""

from __future__ import annotations

import base64
import html
import io
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from report_world import HOSTILE_NAME, trace_world

from sellerlink.config import Limits
from sellerlink.linker import Lead, Match
from sellerlink.report import (
    diff_html,
    lead_html,
    match_html,
    thumbnail_data_uri,
    trace_table_html,
    write_report,
)
from sellerlink.signals.base import Evidence

ESCAPED = html.escape(HOSTILE_NAME)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return trace_world(tmp_path_factory.mktemp("world"))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# --------------------------------------------------------------------------- diffs


def test_diff_marks_exactly_the_differing_characters():
    # Golden: pins the markup the report and notebooks rely on.
    assert diff_html("0812-3456", "0812 3456") == (
        '0812<span class="slk-d">-</span>3456',
        '0812<span class="slk-i"> </span>3456',
    )
    assert diff_html("same", "same") == ("same", "same")


def test_word_diff_marks_whole_words():
    a, b = diff_html("jual baju bekas impor murah", "jual baju preloved murah", words=True)
    assert '<span class="slk-d">bekas impor</span>' in a
    assert '<span class="slk-i">preloved</span>' in b
    assert "jual baju" in a and "jual baju" in b


def test_invisible_characters_are_shown_not_hidden():
    a, _ = diff_html("Budi\u202eStore", "Budi Store")
    assert "U+202E" in a and "\u202e" not in a


_TAG = re.compile(r'</?span(?: class="slk-[di]")?>')
_MARKER = re.compile(r'<span class="slk-cc" title="invisible character \(\w\w\)">U\+[0-9A-F]{4,6}</span>')
_printable = st.text(max_size=40).filter(str.isprintable)


@settings(max_examples=200, deadline=None)
@given(_printable, _printable, st.booleans())
def test_diff_round_trips_printable_text(a, b, words):
    # Reference: removing our span tags and unescaping gives back the two inputs.
    da, db = diff_html(a, b, words=words)
    for out, orig in ((da, a), (db, b)):
        bare = _TAG.sub("", out)
        assert "<" not in bare and ">" not in bare
        assert html.unescape(bare) == orig


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), st.booleans())
def test_diff_never_leaks_markup_or_invisible_characters(a, b, words):
    da, db = diff_html(a, b, words=words)
    for out in (da, db):
        bare = _TAG.sub("", _MARKER.sub("", out))
        assert "<" not in bare and ">" not in bare
        assert all(ch.isprintable() or ch in " \n\t" for ch in bare)


# --------------------------------------------------------------------------- thumbnails


def _decode(uri: str) -> Image.Image:
    assert uri.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
        im.load()
        return im


def test_thumbnail_is_a_small_jpeg(tmp_path):
    p = tmp_path / "big.png"
    Image.new("RGBA", (900, 300), (10, 200, 30, 128)).save(p)
    img = _decode(thumbnail_data_uri(p))
    assert img.format == "JPEG" and max(img.size) == 160 and img.size[0] == 160
    small = _decode(thumbnail_data_uri(p, max_px=40))
    assert max(small.size) == 40


def test_bad_photos_give_none_never_raise(tmp_path):
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    Image.new("RGB", (50, 50)).save(tmp_path / "ok.jpg")
    trunc = (tmp_path / "ok.jpg").read_bytes()[:60]
    (tmp_path / "trunc.jpg").write_bytes(trunc)
    for bad in (
        "/no/such.jpg",
        str(tmp_path / "text.jpg"),
        str(tmp_path / "empty.jpg"),
        str(tmp_path / "trunc.jpg"),
        str(tmp_path),
        "",
        "http://example.invalid/a.jpg",
        "file://" + str(tmp_path / "ok.jpg"),
        "data:image/jpeg;base64,AAAA",
    ):
        assert thumbnail_data_uri(bad) is None, bad
    assert thumbnail_data_uri(tmp_path / "ok.jpg") is not None


def test_thumbnail_respects_pixel_and_byte_limits(tmp_path):
    p = tmp_path / "wide.png"
    Image.new("RGB", (400, 400)).save(p)
    assert thumbnail_data_uri(p, limits=Limits(max_photo_pixels=100_000)) is None
    assert thumbnail_data_uri(p, limits=Limits(max_photo_bytes=10)) is None
    assert thumbnail_data_uri(p) is not None
    with pytest.raises(ValueError):
        thumbnail_data_uri(p, max_px=0)


# --------------------------------------------------------------------------- match / lead views


def _match(tmp_path: Path, *, left_name: str = "Budi", photo_ok: bool = True) -> Match:
    good = tmp_path / "a.jpg"
    Image.new("RGB", (200, 100), (200, 30, 30)).save(good)
    right = str(good) if photo_ok else str(tmp_path / "gone.jpg")
    ev = [
        Evidence(
            "contacts", "phone", "0812-3456-7890", "+62 812 3456 7890", key="+6281234567890", shared_by=2, weight=12.0
        ),
        Evidence("photos", "photo", str(good), right, key="ab12", similarity=0.94, shared_by=2, weight=6.0),
        Evidence("names", "display_name", left_name, "Budi Preloved", similarity=0.8, weight=-0.5),
    ]
    weights = {"contacts": 12.0, "photos": 6.0, "names": -0.5, "phrasing": 1.0}
    return Match("acc-L", "acc-R", _sigmoid(-9.0 + 18.5), weights, ev)


def test_match_html_shows_photos_values_and_waterfall(tmp_path):
    out = match_html(_match(tmp_path))
    assert out.count('src="data:image/jpeg;base64,') == 2
    # the differing characters are marked on both sides
    assert '812<span class="slk-d">-</span>3456<span class="slk-d">-</span>7890' in out
    assert '<span class="slk-i">+62 </span>812<span class="slk-i"> </span>3456' in out
    # waterfall: the prior is recovered from the score (logit - sum of weights), the
    # "other" row carries phrasing weight not attributed to a single value, totals add up.
    assert "-9.00" in out and "+12.00" in out and "-0.50" in out
    assert "phrasing · other" in out and "+1.00" in out
    assert "+9.50" in out  # final log-odds
    assert 'class="neg"' in out and 'class="pos"' in out and 'class="prior"' in out


def test_missing_photo_is_a_placeholder(tmp_path):
    out = match_html(_match(tmp_path, photo_ok=False))
    assert out.count('src="data:image/jpeg;base64,') == 1
    assert "no photo" in out and "gone.jpg" in out


def test_hostile_values_are_escaped_everywhere(tmp_path, world):
    m = _match(tmp_path, left_name=HOSTILE_NAME)
    m = Match(HOSTILE_NAME, '"><img src=x onerror=alert(2)>', m.score, m.weights, m.evidence)
    out = match_html(m)
    assert "<script>" not in out and "<img src=x" not in out
    assert ESCAPED in out
    lead = next(ld for ld in world.leads if ld.account_id == "new2")
    for text in (lead_html(lead), trace_table_html(world), world._repr_html_(), lead._repr_html_()):
        assert "<script>" not in text
        assert ESCAPED in text


def test_repr_html_routes_to_the_views(world, tmp_path):
    m = _match(tmp_path)
    assert m._repr_html_() == match_html(m)
    lead = world.leads[0]
    assert lead._repr_html_() == lead_html(lead)
    assert world._repr_html_() == trace_table_html(world)


def test_lead_html_follows_the_path_to_the_violator(world):
    lead = next(ld for ld in world.leads if ld.account_id == "new2")
    assert lead.path == ["new2", "mid", "old2"]
    out = lead_html(lead)
    path_block = out[out.index('class="slk-path"') :]
    positions = [path_block.index(x) for x in (">new2<", ">mid<", ">old2<")]
    assert positions == sorted(positions)
    # each step reads from the account towards the violator: new2 is on the left of step 1
    # even though the pair table stores it on the right.
    first = out.index('class="slk-match"')
    step1 = out[first : out.index('class="slk-match"', first + 1)]
    assert step1.index(">new2<") < step1.index(">mid<")
    assert "(violator)" in out
    assert out.count('src="data:image/jpeg;base64,') >= 2
    assert "no photo" in out  # new2's photo file does not exist


def test_trace_table_lists_leads_above_threshold_best_first(world):
    out = trace_table_html(world)
    rows = re.findall(r"<tr><td class=slk-id>([^<]+)</td>", out)
    assert rows == ["new1", "mid", "new2"]
    assert "stranger" not in out


# --------------------------------------------------------------------------- report file


def test_report_is_self_contained(world, tmp_path):
    out = write_report(world, tmp_path / "deep" / "report.html")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    assert "default-src 'none'" in text  # CSP: nothing may be fetched
    for src in re.findall(r'\ssrc="([^"]*)"', text):
        assert src.startswith("data:image/jpeg;base64,")
    for href in re.findall(r'\shref="([^"]*)"', text):
        assert href.startswith("#")
    assert text.count("<script>") == 1  # ours (the sorter); the hostile name is escaped
    assert ESCAPED in text
    assert len(re.findall(r'<section class="slk-lead" id="lead-\d+"', text)) == 3
    assert len(re.findall(r"<img ", text)) >= 6


def test_report_table_has_a_sortable_numeric_score(world, tmp_path):
    text = write_report(world, tmp_path / "r.html").read_text(encoding="utf-8")
    table = text[text.index('id="leads-table"') : text.index("</table>", text.index('id="leads-table"'))]
    assert '<th data-type="num">score</th>' in table
    scores = [float(x) for x in re.findall(r'<td data-value="([0-9.]+)"><span class="slk-mini">', table)]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3


def test_report_max_leads_and_title(world, tmp_path):
    text = write_report(world, tmp_path / "r.html", max_leads=1, title="Case <42>").read_text(encoding="utf-8")
    assert len(re.findall(r'<section class="slk-lead"', text)) == 1
    assert "<title>Case &lt;42&gt;</title>" in text
    assert "the best 1 are shown" in text
    with pytest.raises(ValueError):
        write_report(world, tmp_path / "x.html", max_leads=-1)
    with pytest.raises(TypeError):
        write_report(object(), tmp_path / "x.html")  # type: ignore[arg-type]
    with pytest.raises(IsADirectoryError):
        write_report(world, tmp_path)


def test_link_report_lists_pairs_and_clusters(world, tmp_path):
    text = write_report(world.link, tmp_path / "link.html").read_text(encoding="utf-8")
    assert "sellerlink link report" in text
    assert len(re.findall(r'<section class="slk-lead"', text)) == len(world.link.matches()) == 3
    assert "<h2>Clusters</h2>" in text
    assert "http://" not in text and "https://" not in text
    one = write_report(world.link, tmp_path / "one.html", max_leads=1).read_text(encoding="utf-8")
    assert len(re.findall(r'<section class="slk-lead"', one)) == 1 and "3 pairs at or above" in one
    assert "the best 1 are shown" in one and ">new1<" in one  # the strongest pair (phone + photo)


def test_empty_trace_writes_a_valid_report(tmp_path):
    from report_world import toy_linker

    res = toy_linker().trace([{"account_id": "x", "display_name": "A"}], [{"account_id": "y"}])
    text = write_report(res, tmp_path / "e.html").read_text(encoding="utf-8")
    assert "No account reached the threshold" in text


def test_lead_without_pairs_renders(tmp_path):
    ld = Lead("a", "b", 0.7, ["a", "b"])
    out = lead_html(ld)
    assert "no pair evidence" in out and ">a<" in out


def test_evidence_notes_and_orientation_follow_the_signals_extras():
    from sellerlink.report import _oriented

    ev = [
        Evidence(
            "names",
            "username",
            "budi.thrift",
            "Budi Thrift",
            key="buditrift",
            similarity=0.9,
            extra={"right_kind": "display_name", "left_key": "a", "right_key": "b"},
        ),
        Evidence(
            "contacts",
            "phone",
            "0812-3456-7890",
            "wa.me/6281234567890",
            key="+6281234567890",
            extra={"left_source": "phones", "right_source": "bio"},
        ),
        Evidence("phrasing", "sentence", "jual baju bekas", "jual baju preloved", key="02fbd27cbeef572f"),
        Evidence("phrasing", "style", "uses '!!'", "uses '!!'", key="x", extra={"description": "both use '!!'"}),
    ]
    m = Match("L", "R", 0.9, {"names": 1.0, "contacts": 1.0, "phrasing": 1.0}, ev)
    out = match_html(m)
    assert "names · username ~ display_name" in out
    assert "right found in bio" in out and "left found in" not in out
    assert "02fbd27cbeef572f" not in out  # a sentence hash tells a person nothing
    assert "both use &#x27;!!&#x27;" in out
    flipped = _oriented(m, "R")
    assert (flipped.left, flipped.right) == ("R", "L")
    name_ev, phone_ev = flipped.evidence[0], flipped.evidence[1]
    assert (name_ev.kind, name_ev.extra["right_kind"]) == ("display_name", "username")
    assert (name_ev.left, name_ev.right) == ("Budi Thrift", "budi.thrift")
    assert name_ev.extra["left_key"] == "b" and name_ev.extra["right_key"] == "a"
    assert phone_ev.extra["left_source"] == "bio"
    assert "left found in bio" in match_html(flipped)
    assert _oriented(m, "L") is m


def test_real_pipeline_renders(tmp_path):
    # End to end with the built-in signals (their weights change as they are tuned, so
    # only the obvious comeback is asserted: same phone written two ways, same photo).
    from report_world import make_world

    from sellerlink import Linker, PhotoWarning

    accounts, watchlist = make_world(tmp_path / "w")
    with pytest.warns(PhotoWarning, match="missing.jpg"):  # new2's photo does not exist
        res = Linker(progress=False).trace(accounts, watchlist)
    assert ("new1", "old1") in {(ld.account_id, ld.violator_id) for ld in res.top().values()}
    text = write_report(res, tmp_path / "real.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text
    section = text[text.index('id="lead-1"') :]
    assert section.count('src="data:image/jpeg;base64,') >= 2
    assert "contacts · phone" in text and "photos · photo" in text
    lead = res.top()["new1"]
    assert "slk-match" in lead._repr_html_() and "new1" in res._repr_html_()
