"""reflib: reference libraries kept in git, checked, converted and rendered.

The core (model, checks, anchors, converters, exports) never imports MkDocs; the MkDocs
plugin in :mod:`reflib.engines.mkdocs.plugin` is a thin layer over it.
"""

__version__ = "0.1.0"
