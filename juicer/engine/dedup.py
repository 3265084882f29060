"""From a deduplicator's candidate pairs to verified clusters and per-document decisions.

Shared by the runner (pairs from many partitions, texts read back from shard files) and the
in-memory API. Clusters are the connected components of the accepted pairs; each keeps its
lowest row id, so the result never depends on partitioning or worker count."""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pyarrow as pa

from juicer.core.batch import ROW_ID
from juicer.core.operator import Deduplicator

DROP = "__drop__"
OTHER = "duplicate_of"
SAMPLE_CHARS = 300
TextsOf = Callable[[np.ndarray], list[str]]  # row ids -> their texts, in that order


def empty_pairs() -> pa.Table:
    return pa.table({ROW_ID: pa.array([], pa.int64()), OTHER: pa.array([], pa.int64())})


def pairs_with_group_first(keys: list[np.ndarray], rows: np.ndarray) -> pa.Table:
    """(row, lowest row of its group) for every row that is not the lowest of its group;
    groups are the rows with equal values in all `keys` columns."""
    if len(rows) == 0:
        return empty_pairs()
    order = np.lexsort([rows, *keys[::-1]])
    same = np.ones(len(rows), dtype=bool)
    same[0] = False
    for key in keys:
        ordered = key[order]
        same[1:] &= ordered[1:] == ordered[:-1]
    group = np.cumsum(~same) - 1
    firsts = rows[order][np.flatnonzero(~same)]
    first_of = firsts[group]
    ordered_rows = rows[order]
    later = ordered_rows != first_of
    return pa.table({ROW_ID: pa.array(ordered_rows[later], pa.int64()),
                     OTHER: pa.array(first_of[later], pa.int64())})


def normalize_pairs(pairs: pa.Table) -> pa.Table:
    """Distinct (row, other) pairs with other < row, sorted."""
    if pairs.num_rows == 0:
        return empty_pairs()
    row = pairs.column(ROW_ID).to_numpy().astype(np.int64)
    other = pairs.column(OTHER).to_numpy().astype(np.int64)
    row, other = np.maximum(row, other), np.minimum(row, other)
    keep = row != other
    unique = np.unique(np.stack([row[keep], other[keep]], axis=1), axis=0)
    return pa.table({ROW_ID: pa.array(unique[:, 0], pa.int64()),
                     OTHER: pa.array(unique[:, 1], pa.int64())})


def verify_pairs(operator: Deduplicator, pairs: pa.Table, texts_of: TextsOf,
                 samples: int = 10) -> tuple[pa.Table, dict]:
    """Keep the pairs whose similarity reaches the operator's threshold."""
    threshold = operator.verify_threshold
    if threshold is None or pairs.num_rows == 0:
        return pairs, {"checked": 0, "rejected": 0, "rejected_samples": []}
    operator.ensure_setup()
    rows = pairs.column(ROW_ID).to_numpy()
    others = pairs.column(OTHER).to_numpy()
    similarity = similarities(operator, rows, others, texts_of)
    accepted = similarity >= threshold
    rejected = np.flatnonzero(~accepted)[:samples]
    texts = texts_of(np.concatenate([rows[rejected], others[rejected]]))
    report = {"checked": int(len(rows)), "rejected": int((~accepted).sum()), "rejected_samples": [
        {"row": int(rows[i]), "duplicate_of": int(others[i]),
         "similarity": round(float(similarity[i]), 4),
         "text": texts[k][:SAMPLE_CHARS], "other_text": texts[len(rejected) + k][:SAMPLE_CHARS]}
        for k, i in enumerate(rejected)]}
    return pairs.filter(pa.array(accepted)), report


def similarities(operator: Deduplicator, rows: np.ndarray, others: np.ndarray,
                 texts_of: TextsOf, chunk: int = 2000) -> np.ndarray:
    """The operator's similarity of each pair (rows[i], others[i]), a chunk of pairs at a
    time so memory stays bounded however many pairs there are."""
    result = np.empty(len(rows), dtype=np.float64)
    for start in range(0, len(rows), chunk):
        a, b = rows[start:start + chunk], others[start:start + chunk]
        ids, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
        result[start:start + len(a)] = operator.similarity(texts_of(ids), inverse[:len(a)],
                                                           inverse[len(a):])
    return result


def merge_verification(reports: list[dict], samples: int = 10) -> dict:
    rejected = sorted((s for r in reports for s in r["rejected_samples"]),
                      key=lambda s: (s["row"], s["duplicate_of"]))
    return {"checked": sum(r["checked"] for r in reports),
            "rejected": sum(r["rejected"] for r in reports),
            "rejected_samples": rejected[:samples]}


def connected_components(rows: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every node of the graph and the lowest node of its component (min-label propagation
    with pointer jumping; all vectorized)."""
    nodes, inverse = np.unique(np.concatenate([rows, others]), return_inverse=True)
    u, v = inverse[:len(rows)], inverse[len(rows):]
    label = np.arange(len(nodes))
    while True:
        lowest = np.minimum(label[u], label[v])
        updated = label.copy()
        np.minimum.at(updated, u, lowest)
        np.minimum.at(updated, v, lowest)
        while True:  # pointer jumping: follow labels to their own labels
            jumped = updated[updated]
            if np.array_equal(jumped, updated):
                break
            updated = jumped
        if np.array_equal(updated, label):
            return nodes, nodes[label]
        label = updated


def clusters(pairs: pa.Table) -> pa.Table:
    """Every document in a cluster: its row id, the cluster's kept row id, cluster size."""
    if pairs.num_rows == 0:
        return pa.table({ROW_ID: pa.array([], pa.int64()), "dup_cluster": pa.array([], pa.int64()),
                         "dup_cluster_size": pa.array([], pa.int64())})
    nodes, root = connected_components(pairs.column(ROW_ID).to_numpy(),
                                       pairs.column(OTHER).to_numpy())
    _, inverse, sizes = np.unique(root, return_inverse=True, return_counts=True)
    return pa.table({ROW_ID: pa.array(nodes, pa.int64()), "dup_cluster": pa.array(root, pa.int64()),
                     "dup_cluster_size": pa.array(sizes[inverse], pa.int64())})


def verified_clusters(operator: Deduplicator, pairs: pa.Table, texts_of: TextsOf,
                      rounds: int = 4) -> tuple[pa.Table, int]:
    """Clusters in which every member reaches the threshold with the kept document itself,
    not only through a chain of pairs. Members that do not are clustered again among
    themselves (up to `rounds` times), then left alone. Returns the members and how many
    were moved out of their chain's cluster."""
    members = clusters(pairs)
    threshold = operator.verify_threshold
    if threshold is None or members.num_rows == 0:
        return members, 0
    import polars as pl

    operator.ensure_setup()
    known = pl.from_arrow(pairs.select([ROW_ID, OTHER]))
    moved = 0
    frame = pl.from_arrow(members)
    for round_ in range(rounds + 1):
        unchecked = frame.filter(pl.col(ROW_ID) != pl.col("dup_cluster")).join(
            known, left_on=[ROW_ID, "dup_cluster"], right_on=[ROW_ID, OTHER], how="anti")
        if unchecked.height == 0:
            break
        rows = unchecked[ROW_ID].to_numpy()
        similarity = similarities(operator, rows, unchecked["dup_cluster"].to_numpy(), texts_of)
        failing = rows[similarity < threshold]
        if not len(failing):
            break
        moved += len(failing)
        stay = frame.filter(~pl.col(ROW_ID).is_in(failing))
        if round_ == rounds:  # give up: they stay on their own
            frame = stay
            break
        among = known.filter(pl.col(ROW_ID).is_in(failing) & pl.col(OTHER).is_in(failing))
        regrouped = pl.from_arrow(clusters(among.to_arrow()))
        frame = pl.concat([stay, regrouped])
        # sizes of the clusters that lost members
        frame = frame.with_columns(
            pl.len().over("dup_cluster").cast(pl.Int64).alias("dup_cluster_size"))
        frame = frame.filter(pl.col("dup_cluster_size") > 1)
    frame = frame.with_columns(pl.len().over("dup_cluster").cast(pl.Int64).alias(
        "dup_cluster_size")).filter(pl.col("dup_cluster_size") > 1).sort(ROW_ID)
    return frame.to_arrow().cast(members.schema), moved


def decisions(members: pa.Table, annotate: bool) -> pa.Table:
    """Per cluster member: drop it (all but the kept document, unless annotating) and its stats."""
    drop = np.zeros(members.num_rows, dtype=bool) if annotate else \
        members.column(ROW_ID).to_numpy() != members.column("dup_cluster").to_numpy()
    return members.append_column(DROP, pa.array(drop))


def selector_decisions(drops: pa.Table) -> pa.Table:
    return drops.append_column(DROP, pa.array(np.ones(drops.num_rows, dtype=bool)))


def cluster_summary(members: pa.Table, texts_of: TextsOf, largest: int = 10,
                    operator: Optional[Deduplicator] = None) -> dict:
    """What the report says about a deduplicator: removed documents, cluster count and size
    histogram, and the largest clusters with their first members (row id, similarity to
    the kept document, text) so that a reader can check a cluster."""
    if members.num_rows == 0:
        return {"duplicates": 0, "clusters": 0, "cluster_sizes": {}, "largest_clusters": []}
    row = members.column(ROW_ID).to_numpy()
    root = members.column("dup_cluster").to_numpy()
    size = members.column("dup_cluster_size").to_numpy()
    kept = row == root
    sizes, counts = np.unique(size[kept], return_counts=True)
    # largest first, then lowest kept row id: deterministic
    order = np.lexsort((root[kept], -size[kept]))[:largest]
    chosen = root[kept][order]
    # members are sorted by row id: each cluster's kept document, then its first duplicates
    shown = [row[root == cluster][:MEMBERS_SHOWN] for cluster in chosen.tolist()]
    ids = np.concatenate(shown) if shown else np.zeros(0, np.int64)
    texts = texts_of(ids) if len(ids) else []
    similarity = _member_similarity(operator, texts, shown)
    clusters, at = [], 0
    for index, cluster_rows in enumerate(shown):
        entries = [{"row": int(r), "similarity": similarity[at + i],
                    "text": texts[at + i][:MEMBER_CHARS]} for i, r in enumerate(cluster_rows)]
        at += len(cluster_rows)
        clusters.append({"size": int(size[kept][order][index]), "kept_row": int(chosen[index]),
                         "members": entries,
                         "samples": [e["text"][:SAMPLE_CHARS] for e in entries[:2]]})
    return {
        "duplicates": int((~kept).sum()),
        "clusters": int(kept.sum()),
        "cluster_sizes": {str(int(s)): int(c) for s, c in zip(sizes, counts)},
        "similarity_measure": _measure_name(operator),
        "largest_clusters": clusters,
    }


MEMBERS_SHOWN = 8
MEMBER_CHARS = 1500


def _member_similarity(operator, texts: list[str], shown: list[np.ndarray]) -> list:
    """Each shown member's similarity to its cluster's kept document (the first shown):
    the operator's own measure where it has one, else the Jaccard of their word sets."""
    left, right, at = [], [], 0
    for cluster_rows in shown:
        left += [at] * len(cluster_rows)
        right += list(range(at, at + len(cluster_rows)))
        at += len(cluster_rows)
    if not left:
        return []
    if _measure_name(operator) != "word_jaccard":
        return [round(float(v), 4) for v in operator.similarity(texts, np.array(left),
                                                                np.array(right))]
    words = [set(text.lower().split()) for text in texts]
    return [round(len(words[a] & words[b]) / max(len(words[a] | words[b]), 1), 4)
            for a, b in zip(left, right)]


def _measure_name(operator) -> str:
    """What the members' similarity is: the operator's (verified deduplicators define one)
    or the word-set Jaccard the report computes for the others."""
    if operator is not None and type(operator).similarity is not Deduplicator.similarity:
        return f"{operator.name}.similarity"
    return "word_jaccard"


def repeated_segments(removals: pa.Table, top: int = 10) -> dict:
    """One partition's repeated segments: how many, and the most repeated (with a row that
    holds each, to show its text)."""
    if removals.num_rows == 0:
        return {"repeated": 0, "top": []}
    hashes = removals.column("key_hash").to_numpy()
    unique, first = np.unique(hashes, return_index=True)
    documents = removals.column("documents").to_numpy()[first]
    rows = removals.column(ROW_ID).to_numpy()[first]
    order = np.lexsort((unique, -documents))[:top]
    return {"repeated": int(len(unique)), "top": [
        [int(documents[i]), int(unique[i]), int(rows[i])] for i in order]}


def segment_summary(operator, partitions: list[dict], texts_of: TextsOf, top: int = 10) -> dict:
    entries = sorted((tuple(e) for p in partitions for e in p["top"]),
                     key=lambda e: (-e[0], e[1]))[:top]
    texts = texts_of(np.array([e[2] for e in entries], dtype=np.int64)) if entries else []
    most = []
    for (documents, key, _), text in zip(entries, texts):
        segments = operator.segments(pa.array([text], pa.string()))
        match = np.flatnonzero(segments.hashes == np.uint64(key))
        piece = segments.pieces[int(match[0])].as_py() if len(match) else ""
        most.append({"documents": documents, "text": piece[:SAMPLE_CHARS]})
    return {"repeated_segments": sum(p["repeated"] for p in partitions), "most_repeated": most}


def span_decisions(spans: pa.Table) -> pa.Table:
    return spans.append_column(DROP, pa.array(np.zeros(spans.num_rows, dtype=bool)))


def span_report(spans: pa.Table, texts_of: TextsOf, samples: int = 5) -> dict:
    """One shard's removed spans: how many, their bytes, and the first few as text."""
    starts = spans.column("span_start").to_numpy()
    ends = spans.column("span_end").to_numpy()
    rows = spans.column(ROW_ID).to_numpy()
    texts = texts_of(rows[:samples]) if len(rows) else []
    return {"spans": int(len(rows)), "removed_bytes": int((ends - starts).sum()),
            "samples": [{"row": int(r), "text": t.encode("utf-8")[s:e].decode(
                "utf-8")[:SAMPLE_CHARS]} for r, s, e, t in zip(rows, starts, ends, texts)]}


def merge_span_reports(reports: list[dict], samples: int = 5) -> dict:
    merged = sorted((s for r in reports for s in r["samples"]), key=lambda s: s["row"])
    return {"spans": sum(r["spans"] for r in reports),
            "removed_bytes": sum(r["removed_bytes"] for r in reports),
            "samples": merged[:samples]}
