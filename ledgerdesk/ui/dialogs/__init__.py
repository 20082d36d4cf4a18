"""Dialogs of the pages (forms for households and persons, pickers, …)."""
