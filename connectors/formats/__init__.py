"""Content readers, one module per family of formats; :mod:`connectors.readers` dispatches.

Every reader either reads all the bytes it was given or names what it skipped
(:meth:`~connectors.formats.common.ReadResult.skip`), which the connector records in the
dataset's ``facts["unsampled"]`` so absence of personal data stays unknown there.
"""
