#include <doctest/doctest.h>

#include "libkf/image/reference.h"
#include "libkf/util/error.h"

using namespace kf;
using namespace kf::image;

TEST_CASE("references: registry, repository, tag and digest, with Docker Hub's defaults") {
  auto r = parse_reference("debian:12");
  CHECK(r.registry == "docker.io");
  CHECK(r.repository == "library/debian");
  CHECK(r.tag == "12");
  CHECK(r.api_host() == "registry-1.docker.io");
  CHECK(r.str() == "docker.io/library/debian:12");

  r = parse_reference("127.0.0.1:5000/kf/base");
  CHECK(r.registry == "127.0.0.1:5000");
  CHECK(r.repository == "kf/base");
  CHECK(r.tag == "latest");
  CHECK(r.api_host() == "127.0.0.1:5000");

  const std::string d = "sha256:" + std::string(64, 'a');
  r = parse_reference("ghcr.io/acme/app:v1@" + d);
  CHECK(r.registry == "ghcr.io");
  CHECK(r.repository == "acme/app");
  CHECK(r.tag == "v1");
  CHECK(r.digest == d);
  CHECK(r.tag_or_digest() == d);
  CHECK(parse_reference("localhost/app@" + d).tag.empty());
  CHECK(parse_reference("localhost/app").registry == "localhost");
  CHECK(parse_reference("acme/app").str() == "docker.io/acme/app:latest");
}

TEST_CASE("references: malformed ones are usage errors") {
  CHECK_THROWS_WITH_AS(parse_reference("Acme/App"),
                       "invalid image reference \"Acme/App\": the repository \"Acme/App\" must be lower-case letters, digits and separators",
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_reference("app@sha256:abc"),
                       "invalid image reference \"app@sha256:abc\": the digest must be sha256: and 64 lower-case hex digits", UsageError);
  CHECK_THROWS_WITH_AS(parse_reference("app:-x"),
                       "invalid image reference \"app:-x\": the tag \"-x\" is not [A-Za-z0-9_.-] (up to 128, not starting with '.' or '-')",
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_reference("ghcr.io/"), "invalid image reference \"ghcr.io/\": no repository name", UsageError);
}
