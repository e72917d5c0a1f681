"""Shipped graph files (installed as package data of psigraph.graphs)."""
