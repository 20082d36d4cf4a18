"""The Qt desktop interface: the only package that imports PySide6.

It calls :mod:`ledgerdesk.services` and shows the plain data they return; it
never touches peewee or the store. Long work runs on the single database
worker thread of :mod:`ledgerdesk.ui.tasks`. Entry point: :func:`ledgerdesk.ui.app.run_gui`.
"""
