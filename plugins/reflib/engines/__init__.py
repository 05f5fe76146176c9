"""Site engines: each adapter translates its engine's work into calls of :mod:`reflib.site`."""
