"""Small directed-graph algorithms over node names and ``(src, dst)`` pairs.

The run path (load, check, Session) needs only these; they keep ``networkx`` (≈ 0.1–0.4 s to
import) out of start-up. Results equal networkx's: components as sets, the lexicographic
topological order of ``networkx.lexicographical_topological_sort``.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable

__all__ = ["ancestors", "has_cycle", "lexicographic_order", "strongly_connected_components"]


def _adjacency(nodes: Iterable, edges: Iterable) -> dict:
    adj: dict = {n: [] for n in nodes}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, [])
    return adj


def strongly_connected_components(nodes: Iterable, edges: Iterable) -> list[set]:
    """Tarjan's algorithm, iterative (no recursion limit); every node is in exactly one component."""
    adj = _adjacency(nodes, edges)
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    comps: list[set] = []
    for root in adj:
        if root in index:
            continue
        work = [(root, iter(adj[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(adj[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    comps.append(comp)
    return comps


def has_cycle(nodes: Iterable, edges: Iterable) -> bool:
    """True when some cycle exists (a self-loop counts)."""
    edges = list(edges)
    return any(a == b for a, b in edges) or any(len(c) > 1 for c in strongly_connected_components(nodes, edges))


def lexicographic_order(nodes: Iterable, edges: Iterable) -> list:
    """Topological order taking the smallest ready node first (ValueError on a cycle)."""
    adj = _adjacency(nodes, edges)
    indeg = dict.fromkeys(adj, 0)
    for succ in adj.values():
        for b in succ:
            indeg[b] += 1
    ready = [n for n, d in indeg.items() if d == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for b in adj[n]:
            indeg[b] -= 1
            if indeg[b] == 0:
                heapq.heappush(ready, b)
    if len(order) != len(adj):
        raise ValueError("graph has a cycle")
    return order


def ancestors(edges: Iterable, node) -> set:
    """Every node with a path to ``node`` (``node`` itself excluded)."""
    preds: dict = {}
    for a, b in edges:
        preds.setdefault(b, []).append(a)
    seen: set = set()
    todo = list(preds.get(node, ()))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(preds.get(n, ()))
    seen.discard(node)
    return seen
