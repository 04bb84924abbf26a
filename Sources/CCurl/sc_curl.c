// See include/sc_curl.h: libcurl opened with dlopen on first use, and typed wrappers over it.
#define _GNU_SOURCE
#include "sc_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

static CURLcode (*p_global_init)(long);
static CURL *(*p_easy_init)(void);
static void (*p_easy_reset)(CURL *);
static void (*p_easy_cleanup)(CURL *);
static CURLcode (*p_easy_perform)(CURL *);
static const char *(*p_easy_strerror)(CURLcode);
static struct curl_slist *(*p_slist_append)(struct curl_slist *, const char *);
static void (*p_slist_free_all)(struct curl_slist *);
static CURLSH *(*p_share_init)(void);
static CURLSHcode (*p_share_cleanup)(CURLSH *);
static CURLcode (*p_easy_setopt)(CURL *, CURLoption, ...);
static CURLcode (*p_easy_getinfo)(CURL *, CURLINFO, ...);
static CURLSHcode (*p_share_setopt)(CURLSH *, CURLSHoption, ...);

#define RESOLVE(ptr, name)                                                                       \
    do {                                                                                         \
        *(void **)(&ptr) = dlsym(lib, name);                                                     \
        if (!ptr) {                                                                              \
            snprintf(load_error, sizeof load_error, "libcurl has no %s", name);                 \
            return;                                                                              \
        }                                                                                        \
    } while (0)

static void load(void) {
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load libcurl (libcurl.so.4): %s", why ? why : "not found");
        return;
    }
    RESOLVE(p_global_init, "curl_global_init");
    RESOLVE(p_easy_init, "curl_easy_init");
    RESOLVE(p_easy_reset, "curl_easy_reset");
    RESOLVE(p_easy_cleanup, "curl_easy_cleanup");
    RESOLVE(p_easy_perform, "curl_easy_perform");
    RESOLVE(p_easy_strerror, "curl_easy_strerror");
    RESOLVE(p_slist_append, "curl_slist_append");
    RESOLVE(p_slist_free_all, "curl_slist_free_all");
    RESOLVE(p_share_init, "curl_share_init");
    RESOLVE(p_share_cleanup, "curl_share_cleanup");
    RESOLVE(p_easy_setopt, "curl_easy_setopt");
    RESOLVE(p_easy_getinfo, "curl_easy_getinfo");
    RESOLVE(p_share_setopt, "curl_share_setopt");
    // The library is never closed: handles may outlive any one client.
    loaded = p_global_init(CURL_GLOBAL_ALL) == CURLE_OK;
    if (!loaded) snprintf(load_error, sizeof load_error, "curl_global_init failed");
}

int sc_curl_load(void) {
    pthread_once(&load_once, load);
    return loaded;
}

const char *sc_curl_load_error(void) { return load_error[0] ? load_error : NULL; }

// Every wrapper below is reached only after sc_curl_load() returned 1 (HTTPClient checks it).
CURLcode sc_curl_global_init(long flags) { return sc_curl_load() ? CURLE_OK : CURLE_FAILED_INIT; }
CURL *sc_curl_easy_init(void) { return sc_curl_load() ? p_easy_init() : NULL; }
void sc_curl_easy_reset(CURL *h) { p_easy_reset(h); }
void sc_curl_easy_cleanup(CURL *h) { p_easy_cleanup(h); }
CURLcode sc_curl_easy_perform(CURL *h) { return p_easy_perform(h); }
const char *sc_curl_easy_strerror(CURLcode code) {
    return sc_curl_load() ? p_easy_strerror(code) : "libcurl is not loaded";
}
struct curl_slist *sc_curl_slist_append(struct curl_slist *list, const char *text) {
    return p_slist_append(list, text);
}
void sc_curl_slist_free_all(struct curl_slist *list) {
    if (list) p_slist_free_all(list);
}
CURLSH *sc_curl_share_init(void) { return sc_curl_load() ? p_share_init() : NULL; }
void sc_curl_share_cleanup(CURLSH *s) {
    if (s) p_share_cleanup(s);
}

CURLcode sc_curl_set_long(CURL *h, CURLoption o, long v) { return p_easy_setopt(h, o, v); }
CURLcode sc_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return p_easy_setopt(h, o, v); }
CURLcode sc_curl_set_string(CURL *h, CURLoption o, const char *v) { return p_easy_setopt(h, o, v); }
CURLcode sc_curl_set_pointer(CURL *h, CURLoption o, void *v) { return p_easy_setopt(h, o, v); }
CURLcode sc_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) { return p_easy_setopt(h, o, v); }
CURLcode sc_curl_set_share(CURL *h, CURLSH *s) { return p_easy_setopt(h, CURLOPT_SHARE, s); }
CURLcode sc_curl_set_data_fn(CURL *h, CURLoption o, sc_curl_data_fn f) { return p_easy_setopt(h, o, f); }
CURLcode sc_curl_set_progress_fn(CURL *h, sc_curl_progress_fn f) {
    return p_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f);
}
CURLcode sc_curl_set_seek_fn(CURL *h, sc_curl_seek_fn f) { return p_easy_setopt(h, CURLOPT_SEEKFUNCTION, f); }
CURLcode sc_curl_get_long(CURL *h, CURLINFO i, long *v) { return p_easy_getinfo(h, i, v); }
CURLcode sc_curl_get_off(CURL *h, CURLINFO i, curl_off_t *v) { return p_easy_getinfo(h, i, v); }
CURLcode sc_curl_get_string(CURL *h, CURLINFO i, char **v) { return p_easy_getinfo(h, i, v); }
CURLSHcode sc_curl_share_long(CURLSH *s, CURLSHoption o, long v) { return p_share_setopt(s, o, v); }
CURLSHcode sc_curl_share_pointer(CURLSH *s, CURLSHoption o, void *v) { return p_share_setopt(s, o, v); }
CURLSHcode sc_curl_share_lock_fns(CURLSH *s, sc_curl_lock_fn l, sc_curl_unlock_fn u) {
    CURLSHcode c = p_share_setopt(s, CURLSHOPT_LOCKFUNC, l);
    return c != CURLSHE_OK ? c : p_share_setopt(s, CURLSHOPT_UNLOCKFUNC, u);
}
