"""psigraph.digraph (the run path's graph algorithms, without networkx) agrees with networkx."""
import random

import networkx as nx
import pytest

from psigraph import digraph


def _random_graphs(count=600, seed=1):
    rng = random.Random(seed)
    for _ in range(count):
        nodes = list(dict.fromkeys(f"n{rng.randint(0, 20)}" for _ in range(rng.randint(1, 9))))
        edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(rng.randint(0, 14))]
        g = nx.DiGraph()
        g.add_nodes_from(nodes)
        g.add_edges_from(edges)
        yield nodes, edges, g


def test_components_cycles_order_and_ancestors_equal_networkx():
    acyclic = 0
    for nodes, edges, g in _random_graphs():
        assert sorted(map(sorted, digraph.strongly_connected_components(nodes, edges))) == \
            sorted(map(sorted, nx.strongly_connected_components(g)))
        dag = nx.is_directed_acyclic_graph(g)
        assert digraph.has_cycle(nodes, edges) is (not dag)
        if dag:
            acyclic += 1
            assert digraph.lexicographic_order(nodes, edges) == list(nx.lexicographical_topological_sort(g))
        else:
            with pytest.raises(ValueError, match="cycle"):
                digraph.lexicographic_order(nodes, edges)
        for x in nodes:
            assert digraph.ancestors(edges, x) == nx.ancestors(g, x)
    assert acyclic > 50                     # both branches were exercised
