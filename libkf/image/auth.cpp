#include "libkf/image/auth.h"

#include <cctype>
#include <cstdlib>

#include "libkf/kube/kubeconfig.h" // base64_decode
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"
#include "libkf/util/strings.h"
#include "libkf/util/subprocess.h"

namespace kf::image {

namespace stdfs = std::filesystem;

std::string docker_config_path(const AuthOptions& o) {
  std::string dir = o.config_dir;
  if (dir.empty()) {
    if (const char* env = std::getenv("DOCKER_CONFIG"); env && *env) dir = env;
    else if (const char* home = std::getenv("HOME"); home && *home) dir = std::string(home) + "/.docker";
  }
  if (dir.empty()) return "";
  std::error_code ec;
  const stdfs::path p = stdfs::path(dir) / "config.json";
  return stdfs::is_regular_file(p, ec) ? p.string() : "";
}

namespace {

// "https://index.docker.io/v1/" -> "index.docker.io"; "http://host:5000/x" -> "host:5000".
std::string host_of(std::string key) {
  for (const char* scheme : {"https://", "http://"})
    if (str::starts_with(key, scheme)) key = key.substr(std::strlen(scheme));
  if (const auto slash = key.find('/'); slash != std::string::npos) key = key.substr(0, slash);
  return key;
}

bool is_docker_hub(const std::string& host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

bool same_registry(const std::string& key, const std::string& registry) {
  const std::string h = host_of(key);
  return h == registry || (is_docker_hub(h) && is_docker_hub(registry));
}

// The server URL docker passes to helpers.
std::string server_url(const std::string& registry) {
  return is_docker_hub(registry) ? "https://index.docker.io/v1/" : registry;
}

std::optional<Credentials> from_helper(const std::string& helper, const std::string& registry, const std::string& why) {
  const std::string program = "docker-credential-" + helper;
  proc::Command cmd;
  cmd.argv = {program, "get"};
  cmd.input = server_url(registry);
  cmd.out = proc::Stream::capture;
  cmd.err = proc::Stream::null;
  const proc::Result r = proc::run(cmd);
  if (r.exit_code == 127)
    throw Error(program + " (" + why + ") cannot be run: install it or remove it from the docker config");
  if (r.exit_code != 0) {
    const std::string text = str::trim(r.out);
    if (text.find("credentials not found") != std::string::npos) return std::nullopt;
    // The output of a failing helper is an error message, not a secret.
    throw Error(program + " get failed for " + registry + " (exit status " + std::to_string(r.exit_code) + ")" +
                (text.empty() ? "" : ": " + text.substr(0, 200)));
  }
  Json j;
  try {
    j = json::parse(r.out);
  } catch (const Json::exception&) {
    throw Error(program + " get: its answer for " + registry + " is not JSON");
  }
  if (!j.is_object()) throw Error(program + " get: its answer for " + registry + " is not a JSON object");
  Credentials c;
  c.source = program;
  const std::string user = j.value("Username", "");
  const std::string secret = j.value("Secret", "");
  if (user == "<token>") c.identity_token = secret;
  else {
    c.username = user;
    c.password = secret;
  }
  if (c.username.empty() && c.password.empty() && c.identity_token.empty()) return std::nullopt;
  return c;
}

} // namespace

std::optional<Credentials> find_credentials(const std::string& registry, const AuthOptions& options) {
  const std::string path = docker_config_path(options);
  if (path.empty()) return std::nullopt;
  Json cfg;
  try {
    cfg = json::parse(fs::read_file(path));
  } catch (const Json::exception& e) {
    throw Error(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!cfg.is_object()) throw Error(path + ": not a JSON object");
  if (cfg.contains("credHelpers") && cfg["credHelpers"].is_object())
    for (const auto& [key, helper] : cfg["credHelpers"].items())
      if (same_registry(key, registry) && helper.is_string() && !helper.get<std::string>().empty())
        return from_helper(helper.get<std::string>(), registry, "credHelpers in " + path);
  if (cfg.contains("credsStore") && cfg["credsStore"].is_string() && !cfg["credsStore"].get<std::string>().empty())
    if (auto c = from_helper(cfg["credsStore"].get<std::string>(), registry, "credsStore in " + path)) return c;
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) return std::nullopt;
  for (const auto& [key, entry] : cfg["auths"].items()) {
    if (!same_registry(key, registry) || !entry.is_object()) continue;
    Credentials c;
    c.source = path;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      const auto decoded = kube::base64_decode(entry["auth"].get<std::string>());
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (!decoded || colon == std::string::npos)
        throw Error(path + ": auths." + key + ".auth: not base64 of \"user:password\"");
      c.username = decoded->substr(0, colon);
      c.password = decoded->substr(colon + 1);
    } else {
      c.username = entry.value("username", "");
      c.password = entry.value("password", "");
    }
    c.identity_token = entry.value("identitytoken", "");
    if (c.username.empty() && c.password.empty() && c.identity_token.empty()) continue;
    return c;
  }
  return std::nullopt;
}

namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

} // namespace

std::vector<Challenge> parse_www_authenticate(const std::string& h) {
  std::vector<Challenge> out;
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  auto token = [&] {
    const std::size_t start = i;
    while (i < h.size() && is_tchar(h[i])) ++i;
    return h.substr(start, i - start);
  };
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  while (i < h.size()) {
    skip_ws();
    if (i < h.size() && h[i] == ',') {
      ++i;
      continue;
    }
    const std::string word = token();
    if (word.empty()) {
      ++i; // junk: skip a character
      continue;
    }
    skip_ws();
    if (i < h.size() && h[i] == '=' && !out.empty()) {
      // key=value of the current challenge
      ++i;
      skip_ws();
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) ++i;
          value += h[i++];
        }
        if (i < h.size()) ++i; // closing quote
      } else {
        value = token();
      }
      out.back().params[lower(word)] = value;
      continue;
    }
    Challenge c;
    c.scheme = lower(word);
    out.push_back(c);
    // A token68 (e.g. "Negotiate abc==") right after the scheme is skipped.
    const std::size_t save = i;
    const std::string next = token();
    std::size_t j = i;
    while (j < h.size() && (h[j] == ' ' || h[j] == '\t')) ++j;
    if (!next.empty() && (j >= h.size() || h[j] == ',' || (h[j] == '=' && (j + 1 >= h.size() || h[j + 1] == '=' || h[j + 1] == ',')))) {
      while (i < h.size() && h[i] == '=') ++i;
    } else {
      i = save;
    }
  }
  return out;
}

} // namespace kf::image
