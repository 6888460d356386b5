"""The record loader on bad input: every problem is named by source, line and field.

Each case writes a small file (or builds records) with the problem on a known line, then
checks three things: the valid records around it still load, the warning (default) or
error (``strict=True``) names the right line and field, and nothing else is reported.
"""

from __future__ import annotations

import copy
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sellerlink import Account, Limits, RecordError, RecordWarning, load_accounts
from sellerlink.records import MAX_WARNINGS_PER_LOAD, dumps_jsonl, iter_accounts


def load(src, **kw):
    """(accounts, record warnings) for one load."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        accs = load_accounts(src, **kw)
    ws = [w.message for w in caught if issubclass(w.category, RecordWarning)]
    others = [w for w in caught if not issubclass(w.category, RecordWarning)]
    assert not others, [str(w.message) for w in others]
    return accs, ws


def ids(accs):
    return [a.account_id for a in accs]


def write_lines(tmp_path: Path, lines: list[str | bytes], name: str = "acc.jsonl", sep: bytes = b"\n") -> Path:
    p = tmp_path / name
    p.write_bytes(sep.join(x if isinstance(x, bytes) else x.encode("utf-8") for x in lines) + sep)
    return p


def rec(account_id: str, **fields) -> str:
    return json.dumps({"account_id": account_id, **fields})


def only(ws, *, line, field):
    """Exactly one warning, at ``line`` naming ``field`` (in the attributes and the text)."""
    assert len(ws) == 1, [str(w) for w in ws]
    w = ws[0]
    assert (w.line, w.field) == (line, field), str(w)
    assert f"line {line}" in str(w)
    if field:
        assert repr(field) in str(w)
    return str(w)


# ---------------------------------------------------------------------------------------
# JSON Lines: record-level problems skip the record


@pytest.mark.parametrize(
    "bad, reason",
    [
        ('{"account_id": "x", "bio": ', "invalid JSON"),
        ("{'account_id': 'x'}", "invalid JSON"),
        ('{"account_id": "x"} trailing', "invalid JSON"),
        ("[1, 2, 3]", "expected an object, got a list"),
        ('"just a string"', "expected an object, got str"),
        ("null", "expected an object, got NoneType"),
        ("42", "expected an object"),
    ],
)
def test_malformed_line_is_skipped_and_named(tmp_path, bad, reason):
    p = write_lines(tmp_path, [rec("a"), bad, rec("c")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "c"]
    msg = only(ws, line=2, field=None)
    assert reason in msg and str(p) in msg and msg.startswith("skipped record")
    with pytest.raises(RecordError, match=reason) as ei:
        load_accounts(p, strict=True)
    assert (ei.value.source, ei.value.line, ei.value.field) == (str(p), 2, None)


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"bio": "no id"}, "missing account_id"),
        ({"account_id": None}, "missing account_id"),
        ({"account_id": ""}, "missing account_id"),
        ({"account_id": "   \t"}, "missing account_id"),
        ({"account_id": {"id": 1}}, "account_id must be a string, got an object"),
        ({"account_id": ["a"]}, "account_id must be a string, got a list"),
        ({"account_id": True}, "account_id must be a string, got a boolean"),
        ({"account_id": 1.5}, "account_id must be a string, got float"),
        ({"account_id": "x" * 1001}, "longer than Limits.max_id_length"),
    ],
)
def test_bad_account_id_skips_the_record(tmp_path, record, reason):
    p = write_lines(tmp_path, [rec("a"), "", json.dumps(record), rec("d")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "d"]
    assert reason in only(ws, line=3, field="account_id")  # line 2 is blank and still counts
    with pytest.raises(RecordError, match=reason) as ei:
        load_accounts(p, strict=True)
    assert (ei.value.line, ei.value.field) == (3, "account_id")


def test_nul_only_account_id_is_missing(tmp_path):
    p = write_lines(tmp_path, [rec("\u0000\u0000"), rec("b")])
    accs, ws = load(p)
    assert ids(accs) == ["b"]
    assert any(w.field == "account_id" and w.line == 1 and "missing account_id" in str(w) for w in ws)


def test_duplicate_account_id_keeps_the_first(tmp_path):
    p = write_lines(tmp_path, [rec("a", bio="first"), rec("b"), rec("a", bio="second"), rec(" b ")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "b"] and accs[0].bio == "first"
    assert len(ws) == 2
    assert (ws[0].line, ws[0].field) == (3, "account_id") and "first seen at line 1" in str(ws[0])
    assert (ws[1].line, ws[1].field) == (4, "account_id") and "first seen at line 2" in str(ws[1])
    with pytest.raises(RecordError, match="duplicate account_id 'a'") as ei:
        load_accounts(p, strict=True)
    assert ei.value.line == 3


def test_numeric_account_id_becomes_text_and_collides_with_its_string(tmp_path):
    p = write_lines(tmp_path, [rec(7), '{"account_id": "7"}', '{"account_id": 8.0}'])
    accs, ws = load(p)
    assert ids(accs) == ["7", "8"]
    only(ws, line=2, field="account_id")


# ---------------------------------------------------------------------------------------
# JSON Lines: field-level problems drop the field (or item), keep the account


@pytest.mark.parametrize(
    "fields, field, reason, check",
    [
        ({"phones": {"wa": "0812"}}, "phones", "expected a list of strings, got an object", lambda a: a.phones == ()),
        ({"phones": ["0812", {"x": 1}, "0813"]}, "phones[1]", "got an object; item ignored",
         lambda a: a.phones == ("0812", "0813")),
        ({"emails": [["nested"]]}, "emails[0]", "got a list", lambda a: a.emails == ()),
        ({"phones": 3.5}, None, None, lambda a: a.phones == ("3.5",)),  # a number is text: accepted
        ({"bio": ["a", "b"]}, "bio", "expected a string, got a list", lambda a: a.bio == ""),
        ({"bio": {"text": "x"}}, "bio", "expected a string, got an object", lambda a: a.bio == ""),
        ({"bio": True}, "bio", "got a boolean", lambda a: a.bio == ""),
        ({"display_name": 12345}, None, None, lambda a: a.display_name == "12345"),
        ({"listings": {"title": "x"}}, "listings", "expected a list of listings, got an object",
         lambda a: a.listings == ()),
        ({"listings": 5}, "listings", "expected a list of listings", lambda a: a.listings == ()),
        ({"listings": [{"title": "ok"}, 5, {"title": "ok2"}]}, "listings[1]", "expected a listing object",
         lambda a: [x.title for x in a.listings] == ["ok", "ok2"]),
        ({"listings": [["not", "an", "object"]]}, "listings[0]", "got a list", lambda a: a.listings == ()),
        ({"listings": [{"title": ["x"], "description": "d"}]}, "listings[0].title", "expected a string",
         lambda a: a.listings[0].description == "d" and a.listings[0].title == ""),
        ({"listings": [{"photos": {"a": 1}}]}, "listings[0].photos", "expected a list of strings",
         lambda a: a.listings[0].photos == ()),
        ({"listings": ["just a title"]}, None, None, lambda a: a.listings[0].title == "just a title"),
        ({"bio": "x\u0000y"}, "bio", "1 NUL characters removed", lambda a: a.bio == "xy"),
        ({"bio": "a\ud800b"}, "bio", "lone surrogate", lambda a: a.bio == "a\ufffdb"),
        ({"phones": ["", "  ", None]}, None, None, lambda a: a.phones == ()),
        ({"bio": "", "display_name": ""}, None, None, lambda a: a.bio == "" and a.display_name == ""),
        ({"bio": float("nan")}, None, None, lambda a: a.bio == ""),
        ({"bio": float("inf")}, "bio", "the number inf", lambda a: a.bio == ""),
        ({"created_at": {"$date": 1}}, "created_at", "got an object", lambda a: a.created_at == ""),
    ],
)
def test_bad_field_is_dropped_and_named(tmp_path, fields, field, reason, check):
    line = json.dumps({"account_id": "x", **fields}, allow_nan=True)
    p = write_lines(tmp_path, [rec("a"), line, rec("c")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "x", "c"]
    assert check(accs[1])
    if field is None:
        assert ws == []
        assert ids(load_accounts(p, strict=True)) == ["a", "x", "c"]
        return
    assert reason in only(ws, line=2, field=field)
    with pytest.raises(RecordError, match=reason) as ei:
        load_accounts(p, strict=True)
    assert (ei.value.source, ei.value.line, ei.value.field) == (str(p), 2, field)


def test_enormous_bio_is_cut_fast(tmp_path):
    big = "bekas impor murah " * 600_000  # ~10.8 MB
    p = write_lines(tmp_path, [rec("a"), rec("big", bio=big, display_name="Budi"), rec("c")])
    t0 = time.perf_counter()
    accs, ws = load(p)
    elapsed = time.perf_counter() - t0
    assert ids(accs) == ["a", "big", "c"]
    assert accs[1].bio == big[: Limits().max_text_length] and accs[1].display_name == "Budi"
    msg = only(ws, line=2, field="bio")
    assert f"{len(big):,} characters cut to 20,000" in msg
    assert elapsed < 2.0, elapsed
    with pytest.raises(RecordError, match="Limits.max_text_length") as ei:
        load_accounts(p, strict=True)
    assert (ei.value.line, ei.value.field) == (2, "bio")


def test_text_limit_is_a_setting(tmp_path):
    p = write_lines(tmp_path, [rec("a", listings=[{"title": "t" * 11, "description": "d" * 10}])])
    accs, ws = load(p, limits=Limits(max_text_length=10))
    assert accs[0].listings[0].title == "t" * 10 and accs[0].listings[0].description == "d" * 10
    only(ws, line=1, field="listings[0].title")


def test_deeply_nested_line_is_a_bad_record_not_a_crash(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    deep_obj = '{"a":' * 50_000 + "1" + "}" * 50_000
    p = write_lines(tmp_path, [rec("a"), deep, deep_obj, rec("d")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "d"]
    assert [(w.line, w.field) for w in ws] == [(2, None), (3, None)]
    assert all("nested too deeply" in str(w) for w in ws)


def test_nested_junk_in_an_unknown_field_is_dropped(tmp_path):
    junk = "[" * 500 + "]" * 500
    p = write_lines(tmp_path, ['{"account_id": "a", "meta": %s, "shop_url": "x"}' % junk])
    accs, ws = load(p)
    assert ids(accs) == ["a"] and dict(accs[0].extra) == {"shop_url": "x"}
    assert "nested more than 32 levels" in only(ws, line=1, field="meta")
    dumps_jsonl(accs)  # and the account can be written back out


def test_enormous_integer_literal_does_not_crash(tmp_path):
    digits = "9" * 5000  # Python refuses int(str) over 4300 digits
    p = write_lines(tmp_path, ['{"account_id": "a", "phones": [%s], "n": %s}' % (digits, digits), rec("b")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "b"] and accs[0].phones == (digits,)
    assert ws == []
    p2 = write_lines(tmp_path, ['{"account_id": %s}' % digits, rec("b")], name="id.jsonl")
    accs, ws = load(p2)
    assert ids(accs) == ["b"]
    assert "max_id_length" in only(ws, line=1, field="account_id")


def test_line_over_max_record_bytes_is_not_read(tmp_path):
    p = write_lines(tmp_path, [rec("a"), rec("b", bio="x" * 5000), rec("c")])
    accs, ws = load(p, limits=Limits(max_record_bytes=1000))
    assert ids(accs) == ["a", "c"]
    assert "Limits.max_record_bytes" in only(ws, line=2, field=None)
    # a last line with no newline at the end
    p.write_bytes(p.read_bytes() + rec("d", bio="y" * 3000).encode())
    accs, ws = load(p, limits=Limits(max_record_bytes=1000))
    assert ids(accs) == ["a", "c"] and [w.line for w in ws] == [2, 4]


def test_invalid_utf8_inside_a_string_is_replaced_and_named(tmp_path):
    p = write_lines(tmp_path, [rec("a"), b'{"account_id": "b", "display_name": "Toko \xff\xfe Budi"}', rec("c")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "b", "c"] and accs[1].display_name == "Toko \ufffd\ufffd Budi"
    assert "invalid UTF-8" in only(ws, line=2, field="display_name")
    with pytest.raises(RecordError, match="invalid UTF-8") as ei:
        load_accounts(p, strict=True)
    assert (ei.value.line, ei.value.field) == (2, "display_name")


def test_invalid_utf8_in_an_id_or_outside_strings(tmp_path):
    p = write_lines(tmp_path, [b'{"account_id": "\xc3("}', b'{"account_id": "x"}\xff', rec("c")])
    accs, ws = load(p)
    assert ids(accs) == ["\ufffd(", "c"]
    assert [(w.line, w.field) for w in ws] == [(1, "account_id"), (2, None)]
    assert "invalid JSON" in str(ws[1])


def test_bom_crlf_and_blank_lines_are_fine(tmp_path):
    p = write_lines(tmp_path, [b"\xef\xbb\xbf" + rec("a", bio="line1\nline2").encode(), b"", rec("b"), b"  "],
                    sep=b"\r\n")
    accs, ws = load(p)
    assert ids(accs) == ["a", "b"] and accs[0].bio == "line1\nline2"
    assert ws == []
    assert not any("\r" in a.account_id for a in accs)


def test_raw_nul_byte_in_a_line_is_a_bad_record(tmp_path):
    p = write_lines(tmp_path, [rec("a"), b'{"account_id": "b\x00"}', b"\x00\x00\x00", rec("d")])
    accs, ws = load(p)
    assert ids(accs) == ["a", "d"]
    assert [(w.line, w.field) for w in ws] == [(2, None), (3, None)]


def test_json_array_file_gets_a_clear_error(tmp_path):
    p = tmp_path / "acc.json"
    p.write_text(json.dumps([{"account_id": "a"}], indent=1))
    with pytest.raises(RecordError, match="JSON Lines") as ei:
        load_accounts(p)
    assert ei.value.line == 1


def test_limits_on_list_items_listings_and_photos(tmp_path):
    r = {
        "account_id": "a",
        "phones": [f"08{i:010d}" for i in range(200_000)],
        "listings": [{"title": f"t{i}", "photos": [f"p{i}_{k}.jpg" for k in range(3)]} for i in range(600)],
        "photos": ["profile.jpg"],
    }
    p = write_lines(tmp_path, [json.dumps(r)])
    t0 = time.perf_counter()
    accs, ws = load(p)
    assert time.perf_counter() - t0 < 3.0
    a = accs[0]
    lim = Limits()
    assert len(a.phones) == lim.max_list_items and a.phones[0] == "080000000000"
    assert len(a.listings) == lim.max_listings_per_account
    assert len(a.all_photos) == lim.max_photos_per_account and a.all_photos[0].endswith("profile.jpg")
    assert [w.field for w in ws] == ["phones", "listings", "photos"]
    assert all(w.line == 1 for w in ws)
    assert "200000 items" in str(ws[0]) and "600 listings" in str(ws[1]) and "1501 photos" in str(ws[2])


def test_many_bad_lines_warn_a_bounded_number_of_times(tmp_path):
    n = MAX_WARNINGS_PER_LOAD + 50
    p = write_lines(tmp_path, [rec("ok")] + ["not json"] * n)
    accs, ws = load(p)
    assert ids(accs) == ["ok"]
    assert len(ws) == MAX_WARNINGS_PER_LOAD + 1
    assert ws[0].line == 2 and ws[MAX_WARNINGS_PER_LOAD - 1].line == MAX_WARNINGS_PER_LOAD + 1
    assert "50 more record problems" in str(ws[-1])


def test_open_file_and_bytes_sources(tmp_path):
    p = write_lines(tmp_path, [rec("a"), "oops", rec("c")])
    with open(p, "rb") as fh:
        accs, ws = load(fh)
    assert ids(accs) == ["a", "c"] and only(ws, line=2, field=None)
    with open(p, encoding="utf-8") as fh:
        assert ids(load(fh)[0]) == ["a", "c"]
    assert ids(load(p.read_bytes())[0]) == ["a", "c"]


# ---------------------------------------------------------------------------------------
# CSV


def write_csv(tmp_path: Path, text: bytes | str, name: str = "acc.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_csv_without_account_id_column_is_a_file_error(tmp_path):
    p = write_csv(tmp_path, "id,display_name\n1,Budi\n")
    with pytest.raises(RecordError, match="no account_id column") as ei:
        load_accounts(p)
    assert (ei.value.line, ei.value.field) == (1, "account_id")


def test_csv_wrong_column_count_skips_the_row(tmp_path):
    p = write_csv(tmp_path, "account_id,display_name,phones\na,Budi,0812\nb,Sari\nc,Dewi,0813,extra\nd,,\n")
    accs, ws = load(p)
    assert ids(accs) == ["a", "d"]
    assert [(w.line, w.field) for w in ws] == [(3, None), (4, None)]
    assert "row has 2 columns, header has 3" in str(ws[0])
    with pytest.raises(RecordError) as ei:
        load_accounts(p, strict=True)
    assert ei.value.line == 3


def test_csv_line_numbers_count_quoted_newlines(tmp_path):
    p = write_csv(tmp_path, 'account_id,bio\na,"one\ntwo\nthree"\n,no id\nc,x\n')
    accs, ws = load(p)
    assert ids(accs) == ["a", "c"] and accs[0].bio == "one\ntwo\nthree"
    only(ws, line=5, field="account_id")


def test_csv_bom_crlf_unknown_columns_lists_and_listings(tmp_path):
    text = (
        "\ufeffaccount_id,phones,listings,shop_url\r\n"
        'a,0812|0813,"[{""title"": ""kaos""}]",http://x\r\n'
        "b,,,\r\n"
    )
    p = write_csv(tmp_path, text.encode("utf-8"))
    accs, ws = load(p)
    assert ws == []
    assert ids(accs) == ["a", "b"]
    assert accs[0].phones == ("0812", "0813") and accs[0].listings[0].title == "kaos"
    assert accs[0].extra == {"shop_url": "http://x"} and accs[1].phones == ()


def test_csv_bad_cells_are_named(tmp_path):
    raw = (
        b"account_id,display_name,bio,listings\n"
        b"a,Toko \xff Budi,x\x00y,\n"
        b'b,ok,ok,"[[[' + b"[" * 100_000 + b'"\n'
        b'c,ok,ok,"{not json"\n'
    )
    p = write_csv(tmp_path, raw)
    accs, ws = load(p)
    assert ids(accs) == ["a", "b", "c"]
    assert accs[0].display_name == "Toko \ufffd Budi" and accs[0].bio == "xy"
    assert [(w.line, w.field) for w in ws] == [(2, "display_name"), (2, "bio"), (3, "listings"), (4, "listings")]
    assert "nested too deeply" in str(ws[2]) and "not a JSON array" in str(ws[3])
    with pytest.raises(RecordError) as ei:
        load_accounts(p, strict=True)
    assert (ei.value.line, ei.value.field) == (2, "display_name")


def test_csv_repeated_columns(tmp_path):
    with pytest.raises(RecordError, match="two account_id columns"):
        load_accounts(write_csv(tmp_path, "account_id,account_id\na,b\n"))
    accs, ws = load(write_csv(tmp_path, "account_id,bio,bio\na,first,second\n", name="b.csv"))
    assert accs[0].bio == "first"
    assert "repeated CSV columns ['bio']" in only(ws, line=1, field="bio")


def test_csv_field_over_max_record_bytes(tmp_path):
    p = write_csv(tmp_path, "account_id,bio\na,short\nb," + "x" * 5000 + "\nc,ok\n")
    accs, ws = load(p, limits=Limits(max_record_bytes=1000))
    assert ids(accs) == ["a", "c"]
    assert "longer than Limits.max_record_bytes" in only(ws, line=3, field=None)


def test_tsv_and_empty_csv(tmp_path):
    accs, ws = load(write_csv(tmp_path, "account_id\tbio\na\thalo, kak\n", name="x.tsv"))
    assert accs[0].bio == "halo, kak" and ws == []
    assert load(write_csv(tmp_path, b"", name="empty.csv")) == ([], [])


# ---------------------------------------------------------------------------------------
# DataFrames, dicts, Account objects


def test_dataframe_types_and_row_numbers():
    df = pd.DataFrame(
        {
            "account_id": [1.0, 2.0, np.nan, 4.0],
            "phones": [6281234567890.0, np.nan, 1.0, np.nan],
            "bio": pd.array(["halo", None, "x", {"a": 1}], dtype=object),
            "created_at": pd.to_datetime(["2024-01-02", None, None, None]),
        }
    )
    accs, ws = load(df)
    assert ids(accs) == ["1", "2", "4"]
    assert accs[0].phones == ("6281234567890",) and accs[0].created_at.startswith("2024-01-02")
    assert accs[1].bio == "" and accs[1].created_at == ""
    assert [(w.line, w.field) for w in ws] == [(3, "account_id"), (4, "bio")]
    assert "DataFrame row 3" in str(ws[0])


def test_list_of_dicts_sets_arrays_and_accounts():
    recs = [
        {"account_id": "a", "phones": {"0813", "0812"}, "emails": np.array(["x@y.id"])},
        Account("b", bio="already validated"),
        {"account_id": "b"},
        "not a record",
    ]
    accs, ws = load(recs)
    assert ids(accs) == ["a", "b"] and accs[0].phones == ("0812", "0813") and accs[0].emails == ("x@y.id",)
    assert [(w.line, w.field) for w in ws] == [(3, "account_id"), (4, None)]
    assert "record 3" in str(ws[0]) and "first seen at record 2" in str(ws[0])


def test_from_dict_raises_for_the_record_and_warns_for_a_field():
    with pytest.raises(RecordError, match="missing account_id") as ei:
        Account.from_dict({"bio": "x"}, source="s.jsonl", line=9)
    assert (ei.value.source, ei.value.line, ei.value.field) == ("s.jsonl", 9, "account_id")
    with pytest.warns(RecordWarning, match="field 'phones'"):
        a = Account.from_dict({"account_id": "a", "phones": {"x": 1}})
    assert a.phones == ()
    with pytest.raises(RecordError, match="field 'phones'"):
        Account.from_dict({"account_id": "a", "phones": {"x": 1}}, strict=True)


def test_record_error_keeps_its_location_when_copied():
    e = RecordError("bad", source="f.csv", line=4, field="bio")
    c = copy.deepcopy(e)
    assert (c.source, c.line, c.field, c.reason, str(c)) == ("f.csv", 4, "bio", "bad", str(e))


def test_iter_accounts_is_lazy(tmp_path):
    p = write_lines(tmp_path, [rec("a"), rec("b")] + ["broken"] * 3)
    it = iter_accounts(p)
    assert next(it).account_id == "a"


def test_round_trip_through_jsonl(tmp_path):
    accs = load_accounts([
        {"account_id": "a", "bio": "Halo kak 😊\u200b", "phones": ["0812"], "shop_url": "u",
         "listings": [{"title": "kaos", "photos": ["/p/1.jpg"]}]},
        {"account_id": "b"},
    ])
    p = tmp_path / "rt.jsonl"
    p.write_text(dumps_jsonl(accs), encoding="utf-8")
    back, ws = load(p)
    assert back == accs and back[0].extra == {"shop_url": "u"} and ws == []


@pytest.mark.parametrize("name", [
    "max_photo_pixels", "max_photo_bytes", "max_text_length", "max_photos_per_account",
    "max_listings_per_account", "max_list_items", "max_text_per_account", "max_record_bytes", "max_id_length",
])
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_limits_reject_nonsense(name, bad):
    with pytest.raises(ValueError, match=f"Limits.{name} must be a positive integer"):
        Limits(**{name: bad})


def test_total_text_per_account_is_capped(tmp_path):
    lim = Limits(max_text_length=100, max_text_per_account=250)
    r = {"account_id": "a", "bio": "b" * 100, "listings": [{"title": "t" * 100, "description": "d" * 100,
                                                           "photos": ["p.jpg"]}] * 3}
    accs, ws = load(write_lines(tmp_path, [json.dumps(r)]), limits=lim)
    a = accs[0]
    assert sum(len(t) for t in a.texts) == 250 and a.bio == "b" * 100
    assert [(len(x.title), len(x.description)) for x in a.listings] == [(100, 50), (0, 0), (0, 0)]
    assert len(a.all_photos) == 1 and len(a.listings) == 3  # photos and listings are kept
    assert "700 characters of bio and listing text" in only(ws, line=1, field="listings")


def test_confine_photos_drops_paths_that_leave_the_data_folder(tmp_path):
    data = tmp_path / "data"
    (data / "photos").mkdir(parents=True)
    (data / "photos" / "ok.jpg").write_bytes(b"x")
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"x")
    (data / "photos" / "link.jpg").symlink_to(secret)
    r = {"account_id": "a", "photos": ["photos/ok.jpg", str(secret), "../secret.jpg", "photos/link.jpg",
                                       "http://203.0.113.7/x.jpg", "photos/../photos/ok.jpg"],
         "listings": [{"photos": ["/etc/passwd", "photos/new.jpg"]}]}
    p = write_lines(data, [json.dumps(r)])
    accs, ws = load(p)  # default: paths as written, resolved against the folder
    assert len(accs[0].all_photos) == 8 and ws == []
    accs, ws = load(p, confine_photos=True)
    assert [Path(x).name for x in accs[0].all_photos] == ["ok.jpg", "ok.jpg", "new.jpg"]
    assert [(w.line, w.field) for w in ws] == [(1, "listings[0].photos[0]"), (1, "photos[1]"), (1, "photos[2]"),
                                               (1, "photos[3]"), (1, "photos[4]")]
    with pytest.raises(RecordError, match="outside") as ei:
        load_accounts(p, confine_photos=True, strict=True)
    assert ei.value.field == "listings[0].photos[0]"
    with pytest.raises(ValueError, match="needs base_dir"):
        load_accounts([r], confine_photos=True)
    assert len(load(([r]), confine_photos=True, base_dir=data)[0][0].all_photos) == 3


def _text_heavy_accounts(n: int) -> list[Account]:
    from sellerlink.records import Listing

    return [
        Account(f"a{i}", display_name=f"Thrïft Bùdi {i}", username=f"budi{i}", bio=f"kaos bekas impor 👕 nomor {i} " * 4,
                listings=tuple(Listing(f"jaket {i}-{k} ✨", f"preloved mulus, harga nego 🙏 {i}-{k} " * 3, (f"p{k}.jpg",))
                               for k in range(3)),
                phones=("0812-3456-7890",), addresses=("Jl. Mawar No. 5, Bandung",), extra={"shop_tier": i % 3})
        for i in range(n)
    ]


def test_accounts_pickle_to_workers_as_their_fields_and_round_trip():
    """An account sent to a worker process comes back equal (extra fields, non-ASCII text and
    a lone surrogate included), and copy / deepcopy still work."""
    import pickle

    from sellerlink.records import Listing

    accs = _text_heavy_accounts(3) + [Account("s", bio="caf\u00e9 \ud800 x", listings=(Listing(description="\u00fc"),))]
    back = pickle.loads(pickle.dumps(accs, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == accs and [a.extra for a in back] == [a.extra for a in accs]
    assert all(type(x) is Listing for a in back for x in a.listings)
    assert copy.copy(accs[0]) == accs[0] and copy.deepcopy(accs) == accs


def test_pickling_accounts_leaves_nothing_behind_in_the_sender():
    """The linker pickles every account to its workers. Pickled the default way, each account
    and listing gets a ``__dict__`` built and kept, and each non-ASCII text a cached UTF-8 copy
    (``sys.getsizeof`` of the string grows by it): 1.4 GB at 1M accounts. Neither may happen."""
    import gc
    import pickle
    import sys
    import tracemalloc

    accs = _text_heavy_accounts(6000)
    texts = [s for a in accs for s in (a.bio, a.display_name, *(x.description for x in a.listings))]
    sizes = [sys.getsizeof(s) for s in texts]
    pickle.dumps(accs[:3000])  # (fills the interpreter's tuple free lists, which stay allocated)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        sent = [pickle.dumps(accs[i : i + 1000]) for i in range(0, len(accs), 1000)]
        del sent
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert [sys.getsizeof(s) for s in texts] == sizes
    assert kept < 64 * 1024, f"{kept} bytes kept after pickling {len(accs)} accounts"
