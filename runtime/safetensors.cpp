// safetensors encode/decode and atomic file writes.
#include "runtime/safetensors.h"

#include "runtime/error.h"

#include <nlohmann/json.hpp>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace kf::trainer {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

std::string encode_safetensors(const std::vector<TensorView>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    const std::size_t bytes = t.data->size() * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  while (json.size() % 8 != 0) json.push_back(' ');
  std::string out;
  out.reserve(8 + json.size() + offset);
  const std::uint64_t len = json.size();
  out.append(reinterpret_cast<const char*>(&len), 8);
  out += json;
  for (const auto& t : tensors)
    out.append(reinterpret_cast<const char*>(t.data->data()), t.data->size() * sizeof(float));
  return out;
}

SafetensorsFile decode_safetensors(std::string_view bytes, const std::string& what) {
  if (bytes.size() < 8) throw Error(what + " is truncated: " + std::to_string(bytes.size()) + " bytes, no header");
  std::uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  if (len > bytes.size() - 8)
    throw Error(what + " is truncated: the header needs " + std::to_string(len) + " bytes, the file has " +
                std::to_string(bytes.size() - 8));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, len));
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + " has a corrupt header: " + e.what());
  }
  if (!header.is_object()) throw Error(what + " has a corrupt header: not a JSON object");
  const std::string_view data = bytes.substr(8 + len);
  SafetensorsFile file;
  std::size_t needed = 0;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      for (const auto& [k, v] : entry.items())
        if (v.is_string()) file.metadata[k] = v.get<std::string>();
      continue;
    }
    try {
      if (entry.at("dtype").get<std::string>() != "F32")
        throw Error(what + ": tensor " + name + " has dtype " + entry.at("dtype").get<std::string>() +
                    "; only F32 is supported");
      Tensor t(entry.at("shape").get<Shape>());
      const auto offsets = entry.at("data_offsets").get<std::vector<std::size_t>>();
      if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] - offsets[0] != t.data.size() * sizeof(float))
        throw Error(what + ": tensor " + name + " has data_offsets that do not match its shape");
      needed = std::max(needed, offsets[1]);
      if (offsets[1] <= data.size())
        std::memcpy(t.data.data(), data.data() + offsets[0], offsets[1] - offsets[0]);
      file.tensors.emplace(name, std::move(t));
    } catch (const nlohmann::json::exception& e) {
      throw Error(what + ": tensor " + name + " has a malformed header entry: " + e.what());
    }
  }
  if (needed > data.size())
    throw Error(what + " is truncated: the header promises " + std::to_string(needed) +
                " bytes of tensor data, the file has " + std::to_string(data.size()));
  return file;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot write " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("cannot write " + tmp + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot flush " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error("cannot rename " + tmp + " to " + path + ": " + why);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

} // namespace kf::trainer
