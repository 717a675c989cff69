#pragma once
// libcurl, opened on first use (loader.h): lib::curl().easy_init() for curl_easy_init().
#include <curl/curl.h>

#include "libkf/lib/loader.h"

#define KF_CURL_FUNCTIONS(X)                                                                                         \
  X(global_init) X(easy_init) X(easy_reset) X(easy_cleanup) X(easy_setopt) X(easy_getinfo) X(easy_perform)           \
  X(easy_strerror) X(slist_append) X(slist_free_all)

namespace kf::lib {

struct Curl {
#define KF_CURL_FIELD(name) KF_LIB_FIELD(curl_, name)
  KF_CURL_FUNCTIONS(KF_CURL_FIELD)
#undef KF_CURL_FIELD
};

const Curl& curl();

} // namespace kf::lib
