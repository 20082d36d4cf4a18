"""Reusable widgets of the pages (tables over LazyTableModel, the assignment panel, …)."""
