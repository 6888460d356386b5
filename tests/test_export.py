"""GraphML / GEXF export of the similarity graph, and cluster drawings."""

from __future__ import annotations

import networkx as nx
import pytest
from PIL import Image
from report_world import HOSTILE_NAME, toy_linker, trace_world

from sellerlink.export import draw_cluster, export_graph, to_gexf, to_graphml


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return trace_world(tmp_path_factory.mktemp("world"))


def _check_round_trip(g: nx.Graph, world) -> None:
    assert set(g.nodes) == {"old1", "old2", "new1", "mid", "new2", "stranger"}
    assert {frozenset(e) for e in g.edges} == {
        frozenset(("old1", "new1")),
        frozenset(("old2", "mid")),
        frozenset(("mid", "new2")),
    }
    e = g.edges["old1", "new1"]
    src = world.link.graph.edges["old1", "new1"]
    assert e["score"] == pytest.approx(src["score"])
    assert e["weight"] == pytest.approx(src["score"])  # Gephi's edge strength: the probability
    assert e["log_odds"] == pytest.approx(src["weight"])
    assert e["w_contacts"] == pytest.approx(12.0) and e["w_photos"] == pytest.approx(9.0)
    assert "phone '0812-3456-7890' ~ '+62 812 3456 7890'" in e["evidence"]
    assert g.nodes["new2"]["display_name"] == HOSTILE_NAME
    assert g.nodes["new1"]["label"] == "Budi Thrift Preloved"
    assert int(g.nodes["new1"]["n_photos"]) == 1
    clusters = world.link.clusters
    assert int(g.nodes["new2"]["cluster"]) == clusters["new2"] == clusters["old2"]
    assert int(g.nodes["old2"]["violator"]) == 1 and int(g.nodes["new2"]["violator"]) == 0
    assert g.nodes["new2"]["lead_violator"] == "old2"
    assert float(g.nodes["new2"]["lead_score"]) == pytest.approx(
        max(ld.score for ld in world.leads if ld.account_id == "new2")
    )


def test_graphml_round_trip(world, tmp_path):
    p = to_graphml(world, tmp_path / "out" / "g.graphml")
    g = nx.read_graphml(p)
    _check_round_trip(g, world)
    assert float(g.graph["threshold"]) == pytest.approx(world.threshold)


def test_gexf_round_trip(world, tmp_path):
    p = to_gexf(world, tmp_path / "g.gexf")
    _check_round_trip(nx.read_gexf(p), world)


def test_export_copy_has_only_plain_attributes_and_leaves_the_graph_alone(world):
    before = dict(world.link.graph.graph)
    g = export_graph(world)
    assert "pairs" not in g.graph
    for _, d in g.nodes(data=True):
        assert all(isinstance(v, (str, int, float)) for v in d.values())
    for _, _, d in g.edges(data=True):
        assert all(isinstance(v, (str, int, float)) for v in d.values())
    assert world.link.graph.graph.keys() == before.keys()
    assert "weight" in next(iter(world.link.graph.edges(data=True)))[2]  # original untouched


def test_bare_graph_and_link_result_export(world, tmp_path):
    g = nx.read_graphml(to_graphml(world.link.graph, tmp_path / "bare.graphml", evidence=False))
    assert "cluster" not in g.nodes["new1"] and "evidence" not in g.edges["old1", "new1"]
    g2 = nx.read_graphml(to_graphml(world.link, tmp_path / "link.graphml", clusters={"new1": 7}))
    assert int(g2.nodes["new1"]["cluster"]) == 7
    with pytest.raises(TypeError):
        export_graph(object())  # type: ignore[arg-type]


def test_xml_hostile_text_still_opens(tmp_path):
    accounts = [
        {"account_id": "a\x01b", "display_name": "bad\x0bname\ufffe", "phones": ["0812-3456-7890"]},
        {"account_id": "c", "display_name": "ok", "phones": ["+62 812 3456 7890"]},
    ]
    res = toy_linker().link(accounts)
    g = nx.read_graphml(to_graphml(res, tmp_path / "h.graphml"))
    assert "a\ufffdb" in g.nodes and g.nodes["a\ufffdb"]["display_name"] == "bad\ufffdname\ufffd"
    assert g.has_edge("a\ufffdb", "c")
    g2 = nx.read_gexf(to_gexf(res, tmp_path / "h.gexf"))
    assert g2.has_edge("a\ufffdb", "c")


def test_draw_cluster_writes_a_picture(world, tmp_path):
    pytest.importorskip("matplotlib")
    fig = draw_cluster(world, "new2", tmp_path / "c.png")
    with Image.open(tmp_path / "c.png") as img:
        assert img.size[0] > 200 and img.size[1] > 200
    # two photo nodes (mid, old2) drawn as images, new2 (missing photo) as a marker
    from matplotlib.offsetbox import AnnotationBbox

    ax = fig.axes[0]
    assert sum(isinstance(a, AnnotationBbox) for a in ax.artists) == 2
    assert "cluster" in ax.get_title()
    same = draw_cluster(world, world.link.clusters["new2"])
    assert same.axes[0].get_title() == ax.get_title()
    with pytest.raises(ValueError, match="no cluster"):
        draw_cluster(world, 999)
    with pytest.raises(ValueError, match="no account"):
        draw_cluster(world, "nobody")


def test_draw_cluster_says_what_to_install(world, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_mpl(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    with pytest.raises(ImportError, match=r"pip install sellerlink\[plot\]"):
        draw_cluster(world, "new2")


def test_draw_cluster_survives_hostile_names(tmp_path):
    pytest.importorskip("matplotlib")
    accounts = [
        {"account_id": "a", "display_name": "Harga $5 $$ murah_^{", "phones": ["0812-3456-7890"]},
        {"account_id": "b", "display_name": "\u202eemoji \U0001f457 \\frac", "phones": ["+62 812 3456 7890"]},
    ]
    res = toy_linker().link(accounts)
    draw_cluster(res, "a", tmp_path / "h.png")
    draw_cluster(res, "a", tmp_path / "h.svg")
    assert (tmp_path / "h.png").stat().st_size > 1000
    assert b"<svg" in (tmp_path / "h.svg").read_bytes()[:2000]


def test_draw_cluster_caps_big_clusters(tmp_path):
    pytest.importorskip("matplotlib")
    from sellerlink.config import SellerlinkWarning

    # a chain: s_k shares a phone with s_k+1, all under one name (strong edges, one cluster)
    accounts = [
        {"account_id": f"s{k}", "display_name": "Same Shop", "phones": [f"0812-0000-{k:04d}", f"0812-0000-{k + 1:04d}"]}
        for k in range(6)
    ]
    res = toy_linker().link(accounts)
    assert len(set(res.clusters.values())) == 1
    with pytest.warns(SellerlinkWarning, match="drawing the 4 best connected"):
        fig = draw_cluster(res, "s0", max_nodes=4)
    assert sum(1 for t in fig.axes[0].texts if "\ns" in t.get_text()) == 4
