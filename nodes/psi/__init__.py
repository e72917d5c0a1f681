"""ψ-core: multi-band coupled phase oscillators (psi_core)."""
