// libcurl for ConnectorKit, loaded on first use. Connectors link ConnectorKit; were libcurl linked
// into each, every connector — the local disk's too — would pay for loading libcurl and its dozens
// of dependencies whenever the host discovers plugins (tens of milliseconds). Here it is opened with
// dlopen the first time an HTTP client needs it. The wrappers are also typed: Swift cannot call
// libcurl's variadic setopt/getinfo functions.
#ifndef SC_CURL_H
#define SC_CURL_H

#include <curl/curl.h>  // types and constants only; nothing here links against libcurl

/** Loads libcurl once (thread-safe). Returns 1 when it is usable, else 0 (see sc_curl_load_error). */
int sc_curl_load(void);
/** Why loading failed, or NULL. */
const char *sc_curl_load_error(void);

CURLcode sc_curl_global_init(long flags);
CURL *sc_curl_easy_init(void);
void sc_curl_easy_reset(CURL *h);
void sc_curl_easy_cleanup(CURL *h);
CURLcode sc_curl_easy_perform(CURL *h);
const char *sc_curl_easy_strerror(CURLcode code);
struct curl_slist *sc_curl_slist_append(struct curl_slist *list, const char *text);
void sc_curl_slist_free_all(struct curl_slist *list);
CURLSH *sc_curl_share_init(void);
void sc_curl_share_cleanup(CURLSH *s);

CURLcode sc_curl_set_long(CURL *h, CURLoption o, long v);
CURLcode sc_curl_set_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode sc_curl_set_string(CURL *h, CURLoption o, const char *v);
CURLcode sc_curl_set_pointer(CURL *h, CURLoption o, void *v);
CURLcode sc_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode sc_curl_set_share(CURL *h, CURLSH *s);

typedef size_t (*sc_curl_data_fn)(char *, size_t, size_t, void *);
CURLcode sc_curl_set_data_fn(CURL *h, CURLoption o, sc_curl_data_fn f);

typedef int (*sc_curl_progress_fn)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
CURLcode sc_curl_set_progress_fn(CURL *h, sc_curl_progress_fn f);

/* CURLOPT_SEEKFUNCTION: lets libcurl rewind a request body to resend it (on a kept-alive
 * connection the server had closed, or a redirect). Returns CURL_SEEKFUNC_OK/FAIL/CANTSEEK. */
typedef int (*sc_curl_seek_fn)(void *, curl_off_t, int);
CURLcode sc_curl_set_seek_fn(CURL *h, sc_curl_seek_fn f);

CURLcode sc_curl_get_long(CURL *h, CURLINFO i, long *v);
CURLcode sc_curl_get_off(CURL *h, CURLINFO i, curl_off_t *v);
CURLcode sc_curl_get_string(CURL *h, CURLINFO i, char **v);

typedef void (*sc_curl_lock_fn)(CURL *, curl_lock_data, curl_lock_access, void *);
typedef void (*sc_curl_unlock_fn)(CURL *, curl_lock_data, void *);
CURLSHcode sc_curl_share_long(CURLSH *s, CURLSHoption o, long v);
CURLSHcode sc_curl_share_pointer(CURLSH *s, CURLSHoption o, void *v);
CURLSHcode sc_curl_share_lock_fns(CURLSH *s, sc_curl_lock_fn l, sc_curl_unlock_fn u);

#endif
