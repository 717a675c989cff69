// libcurl downloads into the data cache.
#include "runtime/fetch.h"

#include "runtime/error.h"

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <unistd.h>

namespace fs = std::filesystem;

namespace kf::trainer {
namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::size_t write_file(char* data, std::size_t size, std::size_t count, void* user) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(user)) * size;
}

} // namespace

bool is_url(const std::string& s) {
  return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("file://");
}

std::string strip_file_url(const std::string& s) { return s.starts_with("file://") ? s.substr(7) : s; }

std::string default_cache_dir() {
  if (const char* d = std::getenv("KF_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d != '\0') return std::string(d) + "/kf-trainer";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return std::string(h) + "/.cache/kf-trainer";
  return ".kf-trainer-cache";
}

std::optional<std::string> try_fetch_to_cache(const std::string& url, const std::string& cache_dir) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::string base = url.substr(url.find_last_of('/') + 1);
  if (base.empty()) base = "data";
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(url)));
  const fs::path dir = fs::path(cache_dir) / hash;
  const fs::path dest = dir / base;
  if (fs::exists(dest)) return dest.string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("data cache: cannot create " + dir.string() + ": " + ec.message());
  const fs::path tmp = dir / (base + ".part." + std::to_string(::getpid()));
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) throw Error("data cache: cannot write " + tmp.string());
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    std::fclose(out);
    throw Error("data: curl_easy_init failed");
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_file);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(out) == 0;
  const bool is_http = url.starts_with("http");
  if (rc != CURLE_OK || (is_http && status >= 400) || !closed) {
    fs::remove(tmp, ec);
    if (is_http && status == 404) return std::nullopt;
    if (rc == CURLE_FILE_COULDNT_READ_FILE) return std::nullopt;
    if (is_http && status >= 400) throw Error("data: GET " + url + ": HTTP " + std::to_string(status));
    throw Error("data: GET " + url + ": " + (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }
  fs::rename(tmp, dest, ec);
  if (ec) throw Error("data cache: cannot rename into " + dest.string() + ": " + ec.message());
  return dest.string();
}

std::string fetch_to_cache(const std::string& url, const std::string& cache_dir) {
  auto path = try_fetch_to_cache(url, cache_dir);
  if (!path) throw Error("data: GET " + url + ": not found (HTTP 404)");
  return *path;
}

} // namespace kf::trainer
