#pragma once
// Registry credentials as docker keeps them, and the challenges registries
// send.
//
// Credentials come from $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json): `credHelpers` names a helper per registry,
// `credsStore` a helper for all of them, `auths` holds base64 "user:password"
// (or username/password, or an identitytoken). A helper is the program
// docker-credential-<name> on PATH, run as `get` with the server URL on stdin,
// answering {"ServerURL","Username","Secret"} (Username "<token>" means the
// secret is an identity token). Secrets never appear in messages.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kf::image {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token; // an OAuth2 refresh token (docker login with a token)
  std::string source;         // for messages: "~/.docker/config.json" or "docker-credential-pass"
};

struct AuthOptions {
  std::string config_dir; // "" = $DOCKER_CONFIG, else $HOME/.docker
};

// The config file used (for messages), "" when there is none.
std::string docker_config_path(const AuthOptions& options);

// Credentials for `registry` (a host[:port], "docker.io" for Docker Hub), or
// nullopt when the config has none. Throws kf::Error for a malformed config,
// a helper that cannot run or fails (other than "credentials not found").
std::optional<Credentials> find_credentials(const std::string& registry, const AuthOptions& options = {});

// One challenge of a WWW-Authenticate header (RFC 7235): the scheme in lower
// case ("bearer", "basic") and its parameters (keys in lower case, values
// unquoted and unescaped).
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? "" : it->second;
  }
};
// All challenges in the header, in order; malformed parts are skipped.
std::vector<Challenge> parse_www_authenticate(const std::string& header);

} // namespace kf::image
