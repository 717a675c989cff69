// sha256_path (runs.h): artifact digests through OpenSSL's EVP interface.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "libkf/metadata/runs.h"
#include "libkf/util/error.h"

namespace kf::metadata {
namespace {

namespace stdfs = std::filesystem;

class Sha256 {
public:
  Sha256() : m_ctx(EVP_MD_CTX_new()) {
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) throw Error("cannot initialise sha256 (OpenSSL)");
  }
  void update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(m_ctx.get(), data, size) != 1) throw Error("sha256 (OpenSSL) failed");
  }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(m_ctx.get(), digest.data(), &size) != 1) throw Error("sha256 (OpenSSL) failed");
    static const char* k_hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
      out += k_hex[digest[i] >> 4];
      out += k_hex[digest[i] & 0xf];
    }
    return out;
  }

private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> m_ctx;
};

std::string hash_file(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("cannot hash " + p.string() + ": " + std::strerror(errno));
  Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error("cannot hash " + p.string() + ": read error");
  return h.hex();
}

} // namespace

std::string sha256_path(const stdfs::path& p) {
  std::error_code ec;
  auto status = stdfs::status(p, ec);
  if (ec) throw Error("cannot hash " + p.string() + ": " + ec.message());
  if (stdfs::is_regular_file(status)) return hash_file(p);
  if (!stdfs::is_directory(status)) throw Error("cannot hash " + p.string() + ": not a regular file or directory");

  std::vector<std::string> files;
  for (stdfs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path().lexically_relative(p).generic_string());
  if (ec) throw Error("cannot hash " + p.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const auto& rel : files) {
    std::string line = rel + '\0' + hash_file(p / rel) + '\n';
    h.update(line.data(), line.size());
  }
  return h.hex();
}

} // namespace kf::metadata
