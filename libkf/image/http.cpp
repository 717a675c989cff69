#include "libkf/image/http.h"

#include "libkf/lib/curl.h"
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "libkf/image/stream.h"
#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::image {

namespace {

std::once_flag g_curl_init;

struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* res = nullptr;
  const HttpRequest* req = nullptr;
  // upload
  int in_fd = -1;
  std::uint64_t remaining = 0;
  std::size_t body_pos = 0;
  // download to file
  std::optional<FileSink> file;
  bool file_failed = false;
  std::string file_error;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (!t->req->save_to.empty()) {
    long code = 0;
    lib::curl().easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) {
      try {
        if (!t->file) t->file.emplace(t->req->save_to);
        t->file->write(data, len);
      } catch (const Error& e) {
        t->file_failed = true;
        t->file_error = e.what();
        return 0; // abort the transfer
      }
      return len;
    }
  }
  t->res->body.append(data, len);
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* res = static_cast<Transfer*>(user)->res;
  const std::string line(data, size * n);
  if (str::starts_with(line, "HTTP/")) {
    res->headers.clear(); // a new response (after a redirect or 100 Continue)
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    res->headers[key].push_back(str::trim(line.substr(colon + 1)));
  }
  return size * n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t want = std::min<std::uint64_t>(size * n, t->remaining);
  if (want == 0) return 0;
  if (t->in_fd >= 0) {
    ssize_t got;
    do got = ::read(t->in_fd, buffer, want);
    while (got < 0 && errno == EINTR);
    if (got <= 0) return CURL_READFUNC_ABORT;
    t->remaining -= static_cast<std::uint64_t>(got);
    return static_cast<std::size_t>(got);
  }
  std::memcpy(buffer, t->req->body.data() + t->body_pos, want);
  t->body_pos += want;
  t->remaining -= want;
  return want;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal;
  (void)ultotal;
  auto* t = static_cast<Transfer*>(user);
  if (t->req->on_progress) t->req->on_progress(static_cast<std::uint64_t>(t->req->save_to.empty() ? ulnow : dlnow));
  return 0;
}

} // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() || it->second.empty() ? "" : it->second.back();
}

std::string url_encode(const std::string& v) {
  static const char* k_hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

Http::Http(HttpOptions options) : m_options(std::move(options)) {
  std::call_once(g_curl_init, [] { lib::curl().global_init(CURL_GLOBAL_DEFAULT); });
  m_curl = lib::curl().easy_init();
  if (!m_curl) throw Error("cannot initialise libcurl");
}

Http::~Http() { lib::curl().easy_cleanup(static_cast<CURL*>(m_curl)); }

HttpResponse Http::perform(const HttpRequest& req) {
  CURL* h = static_cast<CURL*>(m_curl);
  lib::curl().easy_reset(h); // options only; the connection cache stays
  HttpResponse res;
  Transfer t;
  t.curl = h;
  t.res = &res;
  t.req = &req;
  lib::curl().easy_setopt(h, CURLOPT_URL, req.url.c_str());
  lib::curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  lib::curl().easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  lib::curl().easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  lib::curl().easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  if (req.timeout.count() > 0) lib::curl().easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(req.timeout.count()));
  // A stalled transfer (under 1 byte/s for 60 s) is an error, not a hang.
  lib::curl().easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib::curl().easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  lib::curl().easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  lib::curl().easy_setopt(h, CURLOPT_WRITEDATA, &t);
  lib::curl().easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  lib::curl().easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (req.follow_redirects) {
    lib::curl().easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    lib::curl().easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  }
  if (!m_options.ca_file.empty()) lib::curl().easy_setopt(h, CURLOPT_CAINFO, m_options.ca_file.c_str());
  if (!req.basic_user.empty()) {
    lib::curl().easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    lib::curl().easy_setopt(h, CURLOPT_USERNAME, req.basic_user.c_str());
    lib::curl().easy_setopt(h, CURLOPT_PASSWORD, req.basic_password.c_str());
  }
  if (req.on_progress) {
    lib::curl().easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    lib::curl().easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    lib::curl().easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  }
  const bool has_body = !req.body_file.empty() || !req.body.empty();
  if (req.method == "HEAD") {
    lib::curl().easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "GET") {
    lib::curl().easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "PUT" || req.method == "PATCH" || (req.method == "POST" && has_body)) {
    lib::curl().easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (req.method != "PUT") lib::curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body_file.empty()) {
      t.in_fd = ::open(req.body_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (t.in_fd < 0) throw Error("cannot read " + req.body_file.string() + ": " + std::strerror(errno));
      if (::lseek(t.in_fd, static_cast<off_t>(req.body_offset), SEEK_SET) < 0) {
        ::close(t.in_fd);
        throw Error("cannot read " + req.body_file.string() + ": " + std::strerror(errno));
      }
      t.remaining = req.body_length;
    } else {
      t.remaining = req.body.size();
    }
    lib::curl().easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    lib::curl().easy_setopt(h, CURLOPT_READDATA, &t);
    lib::curl().easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.remaining));
  } else {
    lib::curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    lib::curl().easy_setopt(h, CURLOPT_POSTFIELDS, "");
    lib::curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }
  curl_slist* headers = nullptr;
  const std::string agent = std::string("User-Agent: kf/") + k_version;
  headers = lib::curl().slist_append(headers, agent.c_str());
  headers = lib::curl().slist_append(headers, "Expect:"); // no 100-continue round trip
  for (const auto& hd : req.headers) headers = lib::curl().slist_append(headers, hd.c_str());
  lib::curl().easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  char error[CURL_ERROR_SIZE] = {0};
  lib::curl().easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = lib::curl().easy_perform(h);
  lib::curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
  lib::curl().easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  lib::curl().slist_free_all(headers);
  if (t.in_fd >= 0) ::close(t.in_fd);
  if (t.file_failed) throw Error(t.file_error);
  if (rc != CURLE_OK) {
    // Drop the connection: its state is unknown.
    lib::curl().easy_cleanup(h);
    m_curl = lib::curl().easy_init();
    // curl's detail ("Failed to connect to h port p after 3 ms: …"), without the timing.
    std::string detail = error[0] ? error : lib::curl().easy_strerror(rc);
    if (const auto after = detail.find(" after "); after != std::string::npos) {
      const auto ms = detail.find(" ms", after);
      if (ms != std::string::npos && ms - after < 20) detail.erase(after, ms + 3 - after);
    }
    throw HttpTransportError(detail);
  }
  if (t.file) t.file->finish();
  return res;
}

} // namespace kf::image
