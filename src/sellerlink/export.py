"""The similarity graph for other tools: GraphML and GEXF files (Gephi), and cluster pictures.

:func:`~sellerlink.linker.build_graph` returns a networkx graph whose ``graph["pairs"]``
holds the whole pair table (not serialisable). The exporters write a copy that has only
``str``/``int``/``float`` attributes:

- nodes: ``label`` (the display name, or the id), ``display_name``, ``username``,
  ``platform``, ``created_at``, ``n_photos``, ``n_listings``, ``cluster`` (when known),
  and for a trace ``violator`` (1 if a lead points to it), ``lead_score`` and
  ``lead_violator`` (the account's best lead);
- edges: ``score`` (probability; also as ``weight``, which Gephi reads as edge strength),
  ``log_odds`` (the graph's ``weight``), ``w_<signal>`` per signal,
  ``pair`` (row in the pair table) and ``evidence`` (a short readable summary).

Text is cleaned of characters XML cannot carry, so hostile account data cannot produce a
file that Gephi or networkx refuse to open.

Example:
    >>> import tempfile, os, networkx as nx
    >>> from sellerlink import Linker
    >>> res = Linker().link([{"account_id": "a", "phones": ["0812-3456-7890"]},
    ...                      {"account_id": "b", "phones": ["+62 812 3456 7890"]}])
    >>> p = to_graphml(res, os.path.join(tempfile.mkdtemp(), "g.graphml"))
    >>> g = nx.read_graphml(p)
    >>> g.edges["a", "b"]["score"] > 0.5
    True
"""

from __future__ import annotations

import logging
import math
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from .config import SellerlinkWarning

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .linker import LinkResult, TraceResult

__all__ = ["draw_cluster", "export_graph", "to_gexf", "to_graphml"]

log = logging.getLogger(__name__)

# Characters XML 1.0 cannot carry (control characters, surrogates, U+FFFE/U+FFFF).
_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Any, limit: int = 2000) -> str:
    s = _XML_BAD.sub("\ufffd", str(value))
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _scalar(value: Any) -> str | int | float | None:
    """A GraphML/GEXF-safe scalar, or None to drop the attribute."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        return _xml_text(value)
    return None


def _unpack(source: Any) -> tuple[nx.Graph, dict[str, int] | None, Any]:
    """(graph, clusters, trace result or None) from a graph, LinkResult or TraceResult."""
    if isinstance(source, nx.Graph):
        return source, None, None
    if hasattr(source, "leads") and hasattr(source, "link"):
        return source.link.graph, dict(source.link.clusters), source
    if hasattr(source, "graph") and hasattr(source, "clusters"):
        return source.graph, dict(source.clusters), None
    raise TypeError(f"expected a networkx graph, LinkResult or TraceResult, got {type(source).__name__}")


def export_graph(
    source: nx.Graph | LinkResult | TraceResult,
    *,
    clusters: Mapping[str, int] | None = None,
    evidence: bool = True,
) -> nx.Graph:
    """A copy of the similarity graph with only str/int/float attributes (see the module doc).

    Args:
        source: a graph from :func:`~sellerlink.linker.build_graph`, or a
            :class:`~sellerlink.linker.LinkResult` / :class:`~sellerlink.linker.TraceResult`
            (clusters and leads are then added as node attributes).
        clusters: account id -> cluster id, overriding the result's clusters.
        evidence: add each edge's readable evidence summary (calls the signals'
            ``explain`` once per edge: turn off for very large graphs).
    """
    graph, found_clusters, trace = _unpack(source)
    if clusters is None:
        clusters = found_clusters
    pairs = graph.graph.get("pairs")
    accounts: dict[str, Any] = {}
    fps = getattr(pairs, "fingerprints", None)
    if fps is not None:
        accounts = {a.account_id: a for a in fps.accounts}

    best_lead: dict[str, Any] = {}
    violators: set[str] = set()
    if trace is not None:
        for ld in trace.leads:
            violators.add(ld.violator_id)
            if ld.account_id not in best_lead or ld.score > best_lead[ld.account_id].score:
                best_lead[ld.account_id] = ld

    # Node ids must survive XML too; keep them unique after cleaning.
    ids: dict[Any, str] = {}
    used: set[str] = set()
    for n in graph.nodes:
        clean = _xml_text(n, limit=10_000)
        base, k = clean, 1
        while clean in used:
            k += 1
            clean = f"{base}#{k}"
        used.add(clean)
        ids[n] = clean

    out = nx.Graph()
    for key, value in graph.graph.items():
        v = _scalar(value)
        if v is not None:
            out.graph[str(key)] = v
    if trace is not None:
        out.graph["threshold"] = float(trace.threshold)
    elif hasattr(source, "threshold"):
        out.graph["threshold"] = float(source.threshold)  # type: ignore[union-attr]

    for n, data in graph.nodes(data=True):
        attrs: dict[str, Any] = {}
        for key, value in data.items():
            v = _scalar(value)
            if v is not None:
                attrs[str(key)] = v
        acc = accounts.get(n)
        if acc is not None:
            attrs.update(
                display_name=_xml_text(acc.display_name),
                username=_xml_text(acc.username),
                platform=_xml_text(acc.platform),
                created_at=_xml_text(acc.created_at),
                n_photos=len(acc.all_photos),
                n_listings=len(acc.listings),
            )
            attrs["label"] = attrs["display_name"] or ids[n]
        else:
            attrs.setdefault("label", ids[n])
        if clusters is not None and n in clusters:
            attrs["cluster"] = int(clusters[n])
        if trace is not None:
            attrs["violator"] = int(n in violators)
            ld = best_lead.get(n)
            attrs["lead_score"] = float(ld.score) if ld is not None else 0.0
            attrs["lead_violator"] = _xml_text(ld.violator_id) if ld is not None else ""
        out.add_node(ids[n], **attrs)

    for a, b, data in graph.edges(data=True):
        attrs = {}
        for key, value in data.items():
            v = _scalar(value)
            if v is not None:
                attrs[str(key)] = float(v) if key.startswith("w_") or key in ("score", "weight") else v
        # Gephi reads "weight" as edge strength and dislikes negatives: give it the
        # probability, and keep the log-odds under their own name.
        if "weight" in attrs:
            attrs["log_odds"] = attrs.pop("weight")
        if "score" in attrs:
            attrs["weight"] = attrs["score"]
        if evidence and pairs is not None and "pair" in data:
            try:
                attrs["evidence"] = _xml_text(pairs.match(int(data["pair"])).summary(), limit=500)
            except Exception as exc:  # noqa: BLE001 - a broken explain must not lose the export
                log.warning("no evidence summary for edge %s-%s: %s", a, b, exc)
                attrs["evidence"] = ""
        out.add_edge(ids[a], ids[b], **attrs)
    return out


def _prepare(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.exists() and p.is_dir():
        raise IsADirectoryError(f"export path is a folder: {p}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def to_graphml(
    source: nx.Graph | LinkResult | TraceResult,
    path: str | os.PathLike[str],
    *,
    clusters: Mapping[str, int] | None = None,
    evidence: bool = True,
) -> Path:
    """Write the similarity graph as GraphML (yEd, Gephi, networkx). Returns the path.

    See :func:`export_graph` for the arguments and attributes.
    """
    g = export_graph(source, clusters=clusters, evidence=evidence)
    p = _prepare(path)
    nx.write_graphml(g, p, encoding="utf-8")
    return p


def to_gexf(
    source: nx.Graph | LinkResult | TraceResult,
    path: str | os.PathLike[str],
    *,
    clusters: Mapping[str, int] | None = None,
    evidence: bool = True,
) -> Path:
    """Write the similarity graph as GEXF (Gephi's own format). Returns the path.

    See :func:`export_graph` for the arguments and attributes.
    """
    g = export_graph(source, clusters=clusters, evidence=evidence)
    g.graph = {}  # GEXF has no place for free graph attributes
    p = _prepare(path)
    nx.write_gexf(g, p, encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------------
# drawing


def _mpl_text(s: str, limit: int = 28) -> str:
    """Plain text for matplotlib: no mathtext ($), no control characters, short."""
    s = _XML_BAD.sub("", "".join(ch if ch.isprintable() else " " for ch in s))
    s = s if len(s) <= limit else s[: limit - 1] + "\u2026"
    return s.replace("$", r"\$")


def draw_cluster(
    result: LinkResult | TraceResult,
    cluster_id: int | str,
    path: str | os.PathLike[str] | None = None,
    *,
    max_nodes: int = 40,
    seed: int = 0,
    photos: bool = True,
) -> Figure:
    """Draw one cluster: accounts as nodes (their first photo where they have one), edges
    labelled with their probability and strongest signal. Violators are framed in red.

    Needs matplotlib (``pip install sellerlink[plot]``). Returns the matplotlib Figure
    (shown inline by Jupyter); with ``path`` it is also saved (format from the suffix:
    .png, .svg, .pdf).

    Args:
        result: a LinkResult or TraceResult.
        cluster_id: a cluster number, or an account id (its cluster is drawn).
        path: where to save the picture (optional).
        max_nodes: larger clusters are cut to their best-connected accounts.
        seed: layout seed (the same seed draws the same picture).
        photos: draw account photos as nodes.
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.offsetbox import AnnotationBbox, OffsetImage
    except ImportError as exc:
        raise ImportError("draw_cluster needs matplotlib: pip install sellerlink[plot]") from exc
    from .report import _thumb_image

    graph, clusters, trace = _unpack(result)
    if clusters is None:
        raise TypeError("draw_cluster needs a LinkResult or TraceResult (the clusters are on it)")
    if isinstance(cluster_id, str):
        if cluster_id not in clusters:
            raise ValueError(f"no account {cluster_id!r} in this result")
        cid = clusters[cluster_id]
    else:
        cid = int(cluster_id)
    members = [a for a, c in clusters.items() if c == cid]
    if not members:
        top = max(clusters.values(), default=-1)
        raise ValueError(f"no cluster {cluster_id!r}: cluster ids run from 0 to {top}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    sub = graph.subgraph(members)
    if len(members) > max_nodes:
        keep = sorted(members, key=lambda a: (-sub.degree(a, weight="score"), a))[:max_nodes]
        warnings.warn(
            f"cluster {cid} has {len(members)} accounts; drawing the {max_nodes} best connected",
            SellerlinkWarning,
            stacklevel=2,
        )
        sub = graph.subgraph(keep)
    pairs = graph.graph.get("pairs")
    fps = getattr(pairs, "fingerprints", None)
    accounts = {a.account_id: a for a in fps.accounts} if fps is not None else {}
    violators = {ld.violator_id for ld in trace.leads} if trace is not None else set()

    n = sub.number_of_nodes()
    pos = (
        nx.spring_layout(sub, seed=seed, weight="score", k=1.6 / math.sqrt(max(n, 1)))
        if n > 1
        else {next(iter(sub.nodes)): np.zeros(2)}
    )
    side = min(4.0 + 1.2 * math.sqrt(n), 14.0)
    fig = Figure(figsize=(side, side), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_axis_off()
    title = f"cluster {cid}: {len(members)} account{'s' if len(members) != 1 else ''}"
    ax.set_title(_mpl_text(title, 80), fontsize=11)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph.*missing.*")
        for a, b, data in sub.edges(data=True):
            (x0, y0), (x1, y1) = pos[a], pos[b]
            s = float(data.get("score", 0.0))
            ax.plot([x0, x1], [y0, y1], color="#555", linewidth=0.8 + 3.0 * s, alpha=0.35 + 0.5 * s, zorder=1)
            ws = {k[2:]: v for k, v in data.items() if k.startswith("w_") and isinstance(v, float)}
            best = max(ws, key=lambda k: ws[k]) if ws and max(ws.values()) > 0 else ""
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                _mpl_text(f"{s:.0%} {best}", 30),
                fontsize=7,
                ha="center",
                va="center",
                zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        for node in sub.nodes:
            x, y = pos[node]
            acc = accounts.get(node)
            edge_colour = "#c0392b" if node in violators else "#34495e"
            img = None
            if photos and acc is not None and acc.all_photos:
                img = _thumb_image(acc.all_photos[0], max_px=72)
            if img is not None:
                box = AnnotationBbox(
                    OffsetImage(np.asarray(img), zoom=0.75),
                    (x, y),
                    frameon=True,
                    pad=0.15,
                    bboxprops={"edgecolor": edge_colour, "linewidth": 2.5 if node in violators else 1.0},
                    zorder=4,
                )
                ax.add_artist(box)
            else:
                ax.scatter(
                    [x],
                    [y],
                    s=380,
                    color="#fdf0ee" if node in violators else "#eaf0f8",
                    edgecolors=edge_colour,
                    linewidths=2.0,
                    zorder=4,
                )
            name = acc.display_name if acc is not None and acc.display_name else ""
            label = _mpl_text(name) + "\n" if name else ""
            label += _mpl_text(str(node), 24) + (" (violator)" if node in violators else "")
            ax.annotate(
                label,
                (x, y),
                xytext=(0, -32 if img is not None else -14),
                textcoords="offset points",
                fontsize=8,
                ha="center",
                va="top",
                zorder=5,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
                color="#c0392b" if node in violators else "#222",
            )
        xs = np.array([p[0] for p in pos.values()])
        ys = np.array([p[1] for p in pos.values()])
        ax.set_xlim(xs.min() - 0.35, xs.max() + 0.35)
        ax.set_ylim(ys.min() - 0.4, ys.max() + 0.3)
        if path is not None:
            p = _prepare(path)
            fig.savefig(p, bbox_inches="tight")
    return fig
