#ifndef MEDIAORCH_CSUPPORT_H
#define MEDIAORCH_CSUPPORT_H

/// Renames only when nothing is at `to` (renameat2 RENAME_NOREPLACE): a hand-off into the inbox
/// never replaces a file that arrived there meanwhile. -1 with errno EEXIST when something is.
/// (Swift cannot call the variadic syscall(2) itself.)
int mo_rename_noreplace(const char *from, const char *to);

/// Swaps two paths in one atomic step (renameat2 RENAME_EXCHANGE, Linux 3.15+): publishing a
/// re-run's outputs replaces the old folder without a moment with neither.
int mo_rename_exchange(const char *from, const char *to);

/// A render child dies with the service that started it (SIGKILL when its parent goes), so a
/// killed service never leaves renders writing into staging folders. 0 on success.
int mo_die_with_parent(void);

#endif
