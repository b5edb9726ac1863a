"""The board document: schema, templates, permission policy, y-sync protocol helpers.

Pure code on pycrdt: no sockets, no event loop, no storage.
"""
