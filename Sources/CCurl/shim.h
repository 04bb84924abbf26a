// Typed wrappers around libcurl's variadic calls, which Swift cannot call directly.
#include <curl/curl.h>

static inline CURLcode sc_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sc_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode sc_curl_set_share(CURL *h, CURLSH *s) { return curl_easy_setopt(h, CURLOPT_SHARE, s); }

typedef size_t (*sc_curl_data_fn)(char *, size_t, size_t, void *);
static inline CURLcode sc_curl_set_data_fn(CURL *h, CURLoption o, sc_curl_data_fn f) {
    return curl_easy_setopt(h, o, f);
}

typedef int (*sc_curl_progress_fn)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode sc_curl_set_progress_fn(CURL *h, sc_curl_progress_fn f) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f);
}

static inline CURLcode sc_curl_get_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sc_curl_get_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sc_curl_get_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }

typedef void (*sc_curl_lock_fn)(CURL *, curl_lock_data, curl_lock_access, void *);
typedef void (*sc_curl_unlock_fn)(CURL *, curl_lock_data, void *);
static inline CURLSHcode sc_curl_share_long(CURLSH *s, CURLSHoption o, long v) { return curl_share_setopt(s, o, v); }
static inline CURLSHcode sc_curl_share_pointer(CURLSH *s, CURLSHoption o, void *v) {
    return curl_share_setopt(s, o, v);
}
static inline CURLSHcode sc_curl_share_lock_fns(CURLSH *s, sc_curl_lock_fn l, sc_curl_unlock_fn u) {
    CURLSHcode c = curl_share_setopt(s, CURLSHOPT_LOCKFUNC, l);
    return c != CURLSHE_OK ? c : curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, u);
}
