"""Worker processes that do not outlive the process that started them."""

from __future__ import annotations

import os


def die_with_parent(parent: int | None = None) -> None:
    """Worker initializer: the worker is killed when its parent process dies (a killed
    ``reflib convert`` or ``mkdocs build`` leaves no worker behind, writing files or waiting
    for work). ``parent``: the pid of the process that starts the worker (``initargs``), so
    that a parent that died while the worker was starting is noticed too. Linux only
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a no-op."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent is gone already: the signal came before it was asked for
