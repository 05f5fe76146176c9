"""The Zensical engine: the library staged for Zensical, which runs no MkDocs plugin (see
:mod:`reflib.engines.zensical.build`)."""
