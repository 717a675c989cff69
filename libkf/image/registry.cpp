#include "libkf/image/registry.h"

#include <algorithm>

#include "libkf/image/digest.h"
#include "libkf/image/stream.h"
#include "libkf/util/json.h"
#include "libkf/util/strings.h"

namespace kf::image {

namespace stdfs = std::filesystem;

namespace {

std::string status_text(long status) {
  switch (status) {
  case 400: return "400 Bad Request";
  case 401: return "401 Unauthorized";
  case 403: return "403 Forbidden";
  case 404: return "404 Not Found";
  case 405: return "405 Method Not Allowed";
  case 413: return "413 Payload Too Large";
  case 416: return "416 Range Not Satisfiable";
  case 429: return "429 Too Many Requests";
  case 500: return "500 Internal Server Error";
  case 502: return "502 Bad Gateway";
  case 503: return "503 Service Unavailable";
  default: return "HTTP " + std::to_string(status);
  }
}

// The path of a URL, without scheme, host and query (for the request log).
std::string path_of(const std::string& url) {
  std::string p = url;
  if (const auto scheme = p.find("://"); scheme != std::string::npos) {
    const auto slash = p.find('/', scheme + 3);
    p = slash == std::string::npos ? "/" : p.substr(slash);
  }
  if (const auto q = p.find('?'); q != std::string::npos) p = p.substr(0, q);
  return p;
}

std::string with_query(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

std::string scope_key(const std::vector<std::string>& scopes) { return str::join(scopes, " "); }

std::string media_type_of(const http::Response& res, const std::string& bytes) {
  std::string ct = res.header("content-type");
  if (const auto semi = ct.find(';'); semi != std::string::npos) ct = str::trim(ct.substr(0, semi));
  if (!ct.empty() && ct != "application/json" && ct != "text/plain") return ct;
  try {
    const Json j = json::parse(bytes);
    if (j.contains("mediaType") && j["mediaType"].is_string()) return j["mediaType"].get<std::string>();
    if (j.contains("manifests")) return media::k_oci_index;
    return media::k_oci_manifest;
  } catch (const Json::exception&) {
    return ct;
  }
}

} // namespace

std::string registry_error_text(const http::Response& res) {
  try {
    const Json j = json::parse(res.body);
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      std::vector<std::string> parts;
      for (const auto& e : j["errors"]) {
        std::string s = e.value("code", "");
        const std::string msg = e.value("message", "");
        if (!msg.empty()) s += (s.empty() ? "" : ": ") + msg;
        parts.push_back(s);
      }
      return status_text(res.status) + ": " + str::join(parts, "; ");
    }
  } catch (const Json::exception&) {
  }
  return status_text(res.status);
}

RegistryClient::RegistryClient(std::string registry, RegistryOptions options)
    : m_registry(std::move(registry)), m_options(std::move(options)) {
  const std::string host = m_registry == "docker.io" ? "registry-1.docker.io" : m_registry;
  m_base = (m_options.insecure ? "http://" : "https://") + host;
  http::ClientOptions co;
  co.tls.ca_file = m_options.ca_file;
  m_http = std::make_unique<http::Client>(co);
}

RegistryClient::~RegistryClient() = default;

std::string RegistryClient::url(const std::string& path) const { return m_base + path; }

const std::optional<Credentials>& RegistryClient::credentials() {
  if (!m_creds) m_creds = find_credentials(m_registry, m_options.auth);
  return *m_creds;
}

void RegistryClient::fail(const std::string& what, const http::Response& res) const {
  throw Error(m_registry + ": " + what + ": " + registry_error_text(res));
}

std::string RegistryClient::location(const http::Response& res, const std::string& what) const {
  const std::string loc = res.header("location");
  if (loc.empty()) throw Error(m_registry + ": " + what + ": the registry sent no Location");
  if (str::starts_with(loc, "http://") || str::starts_with(loc, "https://")) return loc;
  if (str::starts_with(loc, "/")) return m_base + loc;
  return m_base + "/" + loc;
}

void RegistryClient::authorize(http::Request& req, const std::vector<std::string>& scopes) {
  req.basic_user.clear();
  req.basic_password.clear();
  std::erase_if(req.headers, [](const std::string& h) { return str::starts_with(h, "Authorization:"); });
  if (m_scheme == "basic" && credentials()) {
    req.basic_user = credentials()->username;
    req.basic_password = credentials()->password;
  } else if (m_scheme == "bearer") {
    auto it = m_tokens.find(scope_key(scopes));
    if (it != m_tokens.end() && !it->second.empty()) req.headers.push_back("Authorization: Bearer " + it->second);
  }
}

void RegistryClient::fetch_token(const Challenge& c, const std::vector<std::string>& scopes) {
  const std::string realm = c.param("realm");
  if (realm.empty()) throw Error(m_registry + ": its Bearer challenge names no realm (token server)");
  http::Request req;
  const auto& creds = credentials();
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "" : "&") + k + "=" + http::url_encode(v);
  };
  if (!c.param("service").empty()) add("service", c.param("service"));
  for (const auto& s : scopes) add("scope", s);
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant (docker login with an identity token).
    req.method = "POST";
    req.url = realm;
    add("grant_type", "refresh_token");
    add("client_id", "kf");
    add("refresh_token", creds->identity_token);
    req.body = query;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  } else {
    req.url = with_query(realm, query);
    if (creds) {
      req.basic_user = creds->username;
      req.basic_password = creds->password;
    }
  }
  req.timeout = std::chrono::seconds(60);
  http::Response res;
  try {
    res = m_http->perform(req);
  } catch (const http::TransportError& e) {
    throw Error("cannot reach the token server " + path_of(realm) + " of " + m_registry + ": " + http::without_timing(e.what()));
  }
  if (m_options.log) m_options.log(req.method + " " + realm.substr(0, realm.find('?')) + " (token) -> " + std::to_string(res.status));
  if (res.status == 401 || res.status == 403)
    throw Error(m_registry + ": the token server refused " +
                (creds ? "the credentials for user " + str::quote(creds->username) + " (from " + creds->source + ")"
                       : std::string("an anonymous request: log in with docker login ") + m_registry) +
                ": " + status_text(res.status));
  if (res.status != 200) throw Error(m_registry + ": the token server answered " + status_text(res.status));
  std::string token;
  try {
    const Json j = json::parse(res.body);
    token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
  } catch (const Json::exception&) {
  }
  if (token.empty()) throw Error(m_registry + ": the token server's answer has no token");
  m_tokens[scope_key(scopes)] = token;
}

void RegistryClient::on_challenge(const http::Response& res, const std::vector<std::string>& scopes, bool retried) {
  const auto challenges = parse_www_authenticate(res.header("www-authenticate"));
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  const auto& creds = credentials();
  auto who = [&] {
    return creds ? "user " + str::quote(creds->username.empty() ? "<token>" : creds->username) + " (credentials from " +
                       creds->source + ")"
                 : std::string("no credentials");
  };
  if (retried)
    throw Error(m_registry + ": authentication failed (401 Unauthorized) for " + who() +
                ": check them, or log in again with docker login " + m_registry);
  if (bearer) {
    m_scheme = "bearer";
    std::vector<std::string> want = scopes;
    if (!bearer->param("scope").empty())
      for (const auto& s : str::split(bearer->param("scope"), ' '))
        if (std::find(want.begin(), want.end(), s) == want.end()) want.push_back(s);
    fetch_token(*bearer, want);
    if (want != scopes) m_tokens[scope_key(scopes)] = m_tokens[scope_key(want)];
    return;
  }
  if (basic) {
    if (!creds) {
      const std::string cfg = docker_config_path(m_options.auth);
      throw Error(m_registry + " asks for a user name and password (Basic realm " + str::quote(basic->param("realm")) +
                  ") and " + (cfg.empty() ? std::string("there is no docker config (~/.docker/config.json)")
                                          : "there are none for it in " + cfg) +
                  ": add them with docker login " + m_registry);
    }
    m_scheme = "basic";
    return;
  }
  throw Error(m_registry + ": 401 Unauthorized without a Basic or Bearer challenge kf can answer");
}

http::Response RegistryClient::send(http::Request req, const std::vector<std::string>& scopes) {
  for (int attempt = 0;; ++attempt) {
    authorize(req, scopes);
    http::Response res;
    try {
      res = m_http->perform(req);
    } catch (const http::TransportError& e) {
      throw Error("cannot reach registry " + m_registry + " (" + req.method + " " + path_of(req.url) + "): " + http::without_timing(e.what()));
    }
    if (m_options.log) m_options.log(req.method + " " + path_of(req.url) + " -> " + std::to_string(res.status));
    if (res.status != 401) return res;
    on_challenge(res, scopes, attempt > 0);
  }
}

void RegistryClient::ping() {
  http::Request req;
  req.url = url("/v2/");
  req.timeout = std::chrono::seconds(60);
  const auto res = send(req, {});
  if (res.status == 404) throw Error(m_registry + " does not speak the registry API (GET /v2/ -> 404)");
  if (res.status != 200) fail("GET /v2/", res);
}

bool RegistryClient::blob_exists(const std::string& repo, const std::string& digest) {
  http::Request req;
  req.method = "HEAD";
  req.url = url("/v2/" + repo + "/blobs/" + digest);
  req.timeout = std::chrono::seconds(60);
  const auto res = send(req, {"repository:" + repo + ":pull,push"});
  if (res.status == 200) return true;
  if (res.status == 404) return false;
  fail("HEAD blob " + digest, res);
}

BlobEvent::State RegistryClient::push_blob(const std::string& repo, const Descriptor& blob, const stdfs::path& file,
                                           std::uint64_t chunk_size, const std::string& mount_from,
                                           const BlobCallback& progress) {
  BlobEvent ev{blob.digest, blob.size, 0, BlobEvent::State::checking};
  auto report = [&](BlobEvent::State s, std::uint64_t done) {
    ev.state = s;
    ev.done = done;
    if (progress) progress(ev);
  };
  report(BlobEvent::State::checking, 0);
  const std::vector<std::string> push_scope{"repository:" + repo + ":pull,push"};
  if (blob_exists(repo, blob.digest)) {
    report(BlobEvent::State::exists, blob.size);
    return ev.state;
  }
  std::string loc;
  if (!mount_from.empty() && mount_from != repo) {
    std::vector<std::string> scopes = push_scope;
    scopes.push_back("repository:" + mount_from + ":pull");
    http::Request req;
    req.method = "POST";
    req.url = url("/v2/" + repo + "/blobs/uploads/?mount=" + http::url_encode(blob.digest) + "&from=" + http::url_encode(mount_from));
    req.timeout = std::chrono::seconds(120);
    const auto res = send(req, scopes);
    if (res.status == 201) {
      report(BlobEvent::State::mounted, blob.size);
      return ev.state;
    }
    if (res.status != 202) fail("mount " + blob.digest + " from " + mount_from, res);
    loc = location(res, "mount " + blob.digest);
  } else {
    http::Request req;
    req.method = "POST";
    req.url = url("/v2/" + repo + "/blobs/uploads/");
    req.timeout = std::chrono::seconds(120);
    const auto res = send(req, push_scope);
    if (res.status != 202) fail("start upload of " + blob.digest, res);
    loc = location(res, "start upload of " + blob.digest);
  }
  report(BlobEvent::State::uploading, 0);
  std::uint64_t sent = 0;
  const bool chunked = chunk_size > 0 && blob.size > chunk_size;
  if (chunked) {
    while (sent < blob.size) {
      const std::uint64_t n = std::min(chunk_size, blob.size - sent);
      http::Request req;
      req.method = "PATCH";
      req.url = loc;
      req.body_file = file;
      req.body_offset = sent;
      req.body_length = n;
      req.headers = {"Content-Type: application/octet-stream",
                     "Content-Range: " + std::to_string(sent) + "-" + std::to_string(sent + n - 1)};
      const std::uint64_t base = sent;
      req.on_progress = [&](std::uint64_t done) { report(BlobEvent::State::uploading, base + done); };
      const auto res = send(req, push_scope);
      if (res.status != 202) fail("upload chunk " + std::to_string(sent) + "-" + std::to_string(sent + n - 1) + " of " + blob.digest, res);
      loc = location(res, "upload chunk of " + blob.digest);
      sent += n;
      report(BlobEvent::State::uploading, sent);
    }
  }
  http::Request req;
  req.method = "PUT";
  req.url = with_query(loc, "digest=" + http::url_encode(blob.digest));
  req.headers = {"Content-Type: application/octet-stream"};
  if (!chunked) {
    req.body_file = file;
    req.body_length = blob.size;
    req.on_progress = [&](std::uint64_t done) { report(BlobEvent::State::uploading, done); };
  }
  const auto res = send(req, push_scope);
  if (res.status != 201 && res.status != 204) fail("upload of " + blob.digest, res);
  const std::string got = res.header("docker-content-digest");
  if (!got.empty() && got != blob.digest)
    throw Error(m_registry + ": the registry stored " + got + " for the blob kf uploaded as " + blob.digest);
  report(BlobEvent::State::uploaded, blob.size);
  return ev.state;
}

std::string RegistryClient::put_manifest(const std::string& repo, const std::string& tag, const std::string& media_type,
                                         const std::string& bytes) {
  http::Request req;
  req.method = "PUT";
  req.url = url("/v2/" + repo + "/manifests/" + tag);
  req.body = bytes;
  req.headers = {"Content-Type: " + media_type};
  req.timeout = std::chrono::seconds(120);
  const auto res = send(req, {"repository:" + repo + ":pull,push"});
  if (res.status != 201 && res.status != 200) fail("PUT manifest " + repo + ":" + tag, res);
  const std::string want = digest_of(bytes);
  const std::string got = res.header("docker-content-digest");
  if (!got.empty() && got != want)
    throw Error(m_registry + ": the registry stored the manifest as " + got + ", not as " + want);
  return want;
}

RegistryClient::Manifest RegistryClient::get_manifest(const std::string& repo, const std::string& reference) {
  http::Request req;
  req.url = url("/v2/" + repo + "/manifests/" + reference);
  req.headers = {std::string("Accept: ") + media::k_oci_index + ", " + media::k_docker_list + ", " + media::k_oci_manifest +
                 ", " + media::k_docker_manifest};
  req.timeout = std::chrono::seconds(120);
  const auto res = send(req, {"repository:" + repo + ":pull"});
  if (res.status == 404) throw Error(m_registry + "/" + repo + ":" + reference + ": no such image (" + registry_error_text(res) + ")");
  if (res.status != 200) fail("GET manifest " + repo + ":" + reference, res);
  Manifest m{media_type_of(res, res.body), res.body, digest_of(res.body)};
  if (is_digest(reference) && m.digest != reference)
    throw Error(m_registry + "/" + repo + "@" + reference + ": the registry sent a manifest whose digest is " + m.digest);
  return m;
}

void RegistryClient::get_blob(const std::string& repo, const Descriptor& blob, BlobStore& store, const BlobCallback& progress) {
  if (store.has(blob.digest, blob.size)) return;
  const stdfs::path tmp = store.tmp_dir() / (digest_hex(blob.digest) + ".part");
  http::Request req;
  req.url = url("/v2/" + repo + "/blobs/" + blob.digest);
  req.save_to = tmp;
  req.follow_redirects = true;
  BlobEvent ev{blob.digest, blob.size, 0, BlobEvent::State::uploading};
  req.on_progress = [&](std::uint64_t done) {
    ev.done = done;
    if (progress) progress(ev);
  };
  const auto res = send(req, {"repository:" + repo + ":pull"});
  std::error_code ec;
  if (res.status != 200) {
    stdfs::remove(tmp, ec);
    fail("GET blob " + blob.digest + " of " + repo, res);
  }
  if (!stdfs::exists(tmp, ec)) FileSink(tmp).finish();
  Sha256 h;
  std::uint64_t size = 0;
  read_stream(tmp, false, [&](const char* d, std::size_t n) {
    h.update(d, n);
    size += n;
  });
  const std::string got = "sha256:" + h.hex();
  if (got != blob.digest || size != blob.size) {
    stdfs::remove(tmp, ec);
    throw Error(m_registry + "/" + repo + ": blob " + blob.digest + " arrived as " + got + " (" + std::to_string(size) +
                " bytes, expected " + std::to_string(blob.size) + ")");
  }
  store.adopt(tmp, blob.digest);
  ev.state = BlobEvent::State::uploaded;
  ev.done = blob.size;
  if (progress) progress(ev);
}

} // namespace kf::image
