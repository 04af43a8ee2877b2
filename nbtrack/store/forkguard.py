"""Never fork while this process is inside an SQLite transaction.

SQLite keeps a process's file locks in memory (per file, shared by every
connection of the process). A child forked while another thread held the write
lock inherits that memory saying the lock is held in-process, and no
connection the child opens can ever take it: its writes wait out the busy
timeout and fail ("database is locked"), even though the parent committed long
ago. DataLoader workers and multiprocessing pools fork at any moment, often
while nbtrack's writer thread is mid-flush.

So every SQLite transaction is counted in here from its BEGIN until its COMMIT
or ROLLBACK has run, and `os.fork()` first waits for other threads'
transactions to end, holding new ones back until the fork is done. The wait is
bounded: a transaction stuck longer than the busy timeout lets the fork go on
rather than hang the user's program.
"""

from __future__ import annotations

import os
import threading
import time

_WAIT_S = 60.0


class ForkGuard:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open: dict[int, int] = {}  # id(DBAPI connection) -> thread that began it
        self._forker: int | None = None

    def enter(self, key: int) -> None:
        me = threading.get_ident()
        with self._cond:
            while self._forker is not None and self._forker != me:
                self._cond.wait()
            self._open[key] = me

    def leave(self, key: int) -> None:
        with self._cond:
            if self._open.pop(key, None) is not None:
                self._cond.notify_all()

    def open_elsewhere(self) -> int:
        """Transactions open in threads other than this one."""
        me = threading.get_ident()
        return sum(1 for owner in self._open.values() if owner != me)

    def before_fork(self) -> None:
        self._cond.acquire()
        self._forker = threading.get_ident()
        deadline = time.monotonic() + _WAIT_S
        while self.open_elsewhere():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._cond.wait(left)

    def after_fork_in_parent(self) -> None:
        self._forker = None
        self._cond.notify_all()
        self._cond.release()

    def after_fork_in_child(self) -> None:
        # The child's connections are fresh (the store drops the parent's).
        self.__init__()  # type: ignore[misc]


guard = ForkGuard()
os.register_at_fork(
    before=guard.before_fork,
    after_in_parent=guard.after_fork_in_parent,
    after_in_child=guard.after_fork_in_child,
)
