"""Use cases, one module per capability. Each public call is one transaction.

Services take a :class:`~ledgerdesk.services.session.Session` (the open ledger
and who is acting) and return plain data: dataclasses, tuples, id lists —
never peewee models, so ui/ never touches the store.
"""
