// libssh2 for the SFTP connector, plus the few things Swift cannot do with it directly: libssh2's
// convenience functions are macros (Swift imports none), keyboard-interactive authentication
// needs a C callback, and a connect with a timeout is plainer in C than through Glibc's overlays.
#ifndef SC_SSH_H
#define SC_SSH_H

#include <libssh2.h>
#include <libssh2_sftp.h>

/** Runs libssh2_init(0) once per process (it is not thread-safe); returns its result. */
int sc_ssh_global_init(void);

/**
 * Resolves host and connects a TCP socket to port within timeout_ms, then makes the socket blocking
 * with TCP_NODELAY. Returns the descriptor, or -1 with *kind set to 1 for a name that did not resolve
 * (*detail: the getaddrinfo code), 2 for a refused connection, 3 for a timeout and 4 for any other
 * socket error (*detail: errno).
 */
int sc_ssh_connect(const char *host, int port, int timeout_ms, int *kind, int *detail);

/**
 * Keyboard-interactive authentication that answers every prompt with password (servers that allow
 * no plain "password" method). Returns libssh2_userauth_keyboard_interactive_ex's result.
 */
int sc_ssh_userauth_kbdint(LIBSSH2_SESSION *session, const char *user, const char *password);

/** File-type tests on SFTP permissions (the S_IS* macros do not import into Swift). */
static inline int sc_ssh_is_directory(unsigned long permissions) { return (permissions & 0170000) == 0040000; }
static inline int sc_ssh_is_regular(unsigned long permissions) { return (permissions & 0170000) == 0100000; }
static inline int sc_ssh_is_symlink(unsigned long permissions) { return (permissions & 0170000) == 0120000; }

#endif
