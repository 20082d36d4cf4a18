"""Sync by exported file: bundle format, merge, conflicts, device keys (sync.md). Filled by the sync issue."""
