"""Pure-Python foundations: ids, clocks, validation, errors. Imports nothing else of ours."""
