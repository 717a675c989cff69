#pragma once
// Downloads a URL (http, https or file) into a cache directory with libcurl
// and returns the local path. A cached copy is reused; downloads go to a
// temporary file renamed into place, so a partial download never counts.

#include <optional>
#include <string>

namespace kf::trainer {

bool is_url(const std::string& source);
// file:///x/y -> /x/y; anything else unchanged.
std::string strip_file_url(const std::string& source);
// Default cache dir: $KF_CACHE_DIR, $XDG_CACHE_HOME/kf-trainer, ~/.cache/kf-trainer.
std::string default_cache_dir();
// Throws Error naming the URL and the HTTP status or curl error.
std::string fetch_to_cache(const std::string& url, const std::string& cache_dir);
// Like fetch_to_cache, but a 404 gives nullopt (to try alternative names).
std::optional<std::string> try_fetch_to_cache(const std::string& url, const std::string& cache_dir);

} // namespace kf::trainer
