"""Excel import and export of rosters, ledgers and committees. Filled by the registry, ledger and committee issues."""
