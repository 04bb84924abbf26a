#define _POSIX_C_SOURCE 200809L
#include "sc_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void run_init(void) { init_result = libssh2_init(0); }

int sc_ssh_global_init(void) {
    pthread_once(&init_once, run_init);
    return init_result;
}

/* Connects one address without blocking past the deadline. 0, or the errno that stopped it. */
static int connect_one(int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
    if (connect(fd, addr, len) != 0) {
        if (errno != EINPROGRESS) return errno;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int ready;
        do {
            ready = poll(&p, 1, timeout_ms);
        } while (ready < 0 && errno == EINTR);
        if (ready == 0) return ETIMEDOUT;
        if (ready < 0) return errno;
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) return errno;
        if (soerr != 0) return soerr;
    }
    if (fcntl(fd, F_SETFL, flags) < 0) return errno;
    return 0;
}

int sc_ssh_connect(const char *host, int port, int timeout_ms, int *kind, int *detail) {
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0) {
        *kind = 1;
        *detail = rc;
        return -1;
    }
    int last = ECONNREFUSED;
    for (struct addrinfo *a = found; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int err = connect_one(fd, a->ai_addr, a->ai_addrlen, timeout_ms);
        if (err == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            freeaddrinfo(found);
            return fd;
        }
        close(fd);
        last = err;
    }
    freeaddrinfo(found);
    *kind = last == ECONNREFUSED ? 2 : last == ETIMEDOUT ? 3 : 4;
    *detail = last;
    return -1;
}

/* libssh2 hands the session's abstract pointer to the callback: it holds the password. */
static void answer_with_password(const char *name, int name_len, const char *instruction, int instruction_len,
                                 int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                                 LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract) {
    (void)name, (void)name_len, (void)instruction, (void)instruction_len, (void)prompts;
    const char *password = abstract ? (const char *)*abstract : NULL;
    for (int i = 0; i < num_prompts; i++) {
        /* libssh2 frees each answer with its allocator (the default: free). */
        responses[i].text = password ? strdup(password) : NULL;
        responses[i].length = responses[i].text ? (unsigned int)strlen(password) : 0;
    }
}

int sc_ssh_userauth_kbdint(LIBSSH2_SESSION *session, const char *user, const char *password) {
    void **abstract = libssh2_session_abstract(session);
    void *saved = *abstract;
    *abstract = (void *)password;
    int rc = libssh2_userauth_keyboard_interactive_ex(session, user, (unsigned int)strlen(user), answer_with_password);
    *abstract = saved;
    return rc;
}
