"""Live demos: one module per demo (numpy compute, matplotlib plot), a registry, rendering."""
