import sellerlink


def test_public_names_are_exactly_the_documented_facade():
    assert sorted(sellerlink.__all__) == sorted(
        [
            "Account", "DEFAULT_LIMITS", "Evidence", "Fingerprints", "Index", "IndexFormatError", "Lead", "LinkResult", "Limits", "Linker",
            "Listing", "Match", "PairTable", "PhotoWarning", "QueryResult", "RECOMMENDED_THRESHOLD", "RecordError",
            "RecordWarning", "Scorer", "SellerlinkWarning", "TraceResult", "iter_accounts", "link",
            "load_accounts", "trace",
        ]
    )
    for name in sellerlink.__all__:
        assert hasattr(sellerlink, name), name
