#pragma once
// libcurl, opened on first use (loader.h): lib::curl().easy_init() for curl_easy_init().
#include <curl/curl.h>

#include "libkf/lib/loader.h"

#define KF_CURL_FUNCTIONS(X, P)                                                                                       \
  X(P, global_init) X(P, easy_init) X(P, easy_reset) X(P, easy_cleanup) X(P, easy_setopt) X(P, easy_getinfo)          \
  X(P, easy_perform) X(P, easy_strerror) X(P, slist_append) X(P, slist_free_all)

namespace kf::lib {

struct Curl {
  KF_CURL_FUNCTIONS(KF_LIB_FIELD, curl_)
};

const Curl& curl();

} // namespace kf::lib
