"""Storage: peewee models, the migration runner and the versioned write path.

Only this package and its callers in services/ touch peewee; ui/ never does.
"""
