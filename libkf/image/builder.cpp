#include "libkf/image/builder.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <set>

#include "libkf/image/digest.h"
#include "libkf/util/clock.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::image {

namespace stdfs = std::filesystem;

namespace {

bool starts_with_any(const std::string& s, std::initializer_list<const char*> prefixes) {
  for (const char* p : prefixes)
    if (str::starts_with(s, p)) return true;
  return false;
}

std::string image_relative(const stdfs::path& host, const stdfs::path& root) {
  stdfs::path rel = (root.empty() || root == "/") ? host.relative_path() : host.lexically_relative(root);
  return rel.generic_string();
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string rel_link(const std::string& from_file, const std::string& to_file) {
  // A relative symlink target from from_file's directory to to_file (both image-relative).
  return stdfs::path(to_file).lexically_relative(stdfs::path(dir_of(from_file).empty() ? "." : dir_of(from_file))).generic_string();
}

std::string env_name(const std::string& kv) { return kv.substr(0, kv.find('=')); }

} // namespace

bool is_driver_library(const std::string& soname) {
  return starts_with_any(soname, {"libcuda.so", "libnvidia-", "libnvcuvid.so", "libcudadebugger.so", "libnvoptix.so"});
}

bool is_cuda_library(const std::string& soname) {
  return !is_driver_library(soname) &&
         starts_with_any(soname, {"libcudart.so", "libcublas.so", "libcublasLt.so", "libnccl.so", "libcudnn", "libcufft",
                                  "libcurand.so", "libcusparse", "libcusolver", "libnvrtc", "libnvJitLink", "libnpp",
                                  "libnvjpeg", "libcupti", "libnvToolsExt"});
}

Descriptor build_layer(const std::vector<TarEntry>& entries, std::int64_t mtime, BlobStore& store, std::string& diff_id,
                       int gzip_level) {
  static std::atomic<int> counter{0};
  const stdfs::path tmp = store.tmp_dir() / ("layer." + std::to_string(::getpid()) + "." + std::to_string(counter++));
  std::string digest;
  std::uint64_t size = 0;
  try {
    FileSink file(tmp);
    HashSink blob(file);
    GzipSink gz(blob, gzip_level);
    HashSink tar(gz);
    write_tar(entries, mtime, tar);
    tar.finish();
    diff_id = tar.digest();
    digest = blob.digest();
    size = blob.size();
  } catch (...) {
    std::error_code ec;
    stdfs::remove(tmp, ec);
    throw;
  }
  store.adopt(tmp, digest);
  return Descriptor{media::k_oci_layer_gzip, digest, size};
}

namespace {

// 1. What the programs need. Driver libraries and what the base has are not
//    looked for here: a build machine without a GPU driver (or without the
//    CUDA libraries the base brings) can still build the image.
std::vector<ResolvedLibrary> needed_libraries(const BuildSpec& spec, const ElfInfo& main_elf) {
  const BaseImage* base = spec.base;
  const Program& main = spec.programs.front();
  LibrarySearch search = spec.search;
  search.provided = [&](const std::string& soname) {
    return is_driver_library(soname) || (base && base->files.find_named(soname).has_value()) ||
           (spec.variant == "cuda" && is_cuda_library(soname)); // from the base, or an error below
  };
  std::vector<ResolvedLibrary> libs;
  std::set<std::string> seen;
  for (const auto& p : spec.programs) {
    const ElfInfo e = read_elf(p.host_path);
    if (e.machine != main_elf.machine || e.is64 != main_elf.is64)
      throw Error(p.host_path.string() + " is built for another machine than " + main.host_path.string());
    for (auto& l : resolve_libraries(p.host_path, search))
      if (seen.insert(l.soname).second) libs.push_back(std::move(l));
  }
  std::vector<std::string> cuda_libs;
  for (const auto& l : libs)
    if (is_cuda_library(l.soname)) cuda_libs.push_back(l.soname);
  if (spec.variant == "cpu" && !cuda_libs.empty())
    throw Error("the cpu variant is for a trainer built without CUDA, but " + main.host_path.string() + " links " +
                str::join(cuda_libs, ", ") + ": build it with cmake -DKF_CUDA=OFF, or build --variant cuda on a CUDA runtime base image");
  if (spec.variant == "cuda" && cuda_libs.empty())
    throw Error("the cuda variant needs a trainer built with CUDA, but " + main.host_path.string() +
                " links no CUDA library: build it where nvcc and NCCL are found (cmake -DKF_CUDA=ON), or build --variant cpu");
  return libs;
}

// 2. Where libraries go: beside the base's libc, else beside the build machine's.
std::string library_dir(const BuildSpec& spec, const std::vector<ResolvedLibrary>& libs) {
  if (spec.base)
    if (auto libc = spec.base->files.find_named("libc.so.6")) return dir_of(*libc);
  for (const auto& l : libs)
    if (l.soname == "libc.so.6" && !l.path.empty())
      return image_relative(stdfs::weakly_canonical(l.path).parent_path(), spec.search.root);
  return "usr/lib";
}

// The libraries the image gets (the base's and the driver's are noted in r,
// not copied); `placed`: soname -> image path.
std::vector<TarEntry> library_entries(const BuildSpec& spec, const std::vector<ResolvedLibrary>& libs, BuildResult& r,
                                      std::map<std::string, std::string>& placed) {
  const BaseImage* base = spec.base;
  const std::string libdir = library_dir(spec, libs);
  std::vector<TarEntry> entries;
  for (const auto& l : libs) {
    if (is_driver_library(l.soname)) {
      r.skipped.push_back(l.soname);
      continue;
    }
    if (base && base->files.find_named(l.soname)) {
      r.from_base.push_back(l.soname);
      continue;
    }
    if (is_cuda_library(l.soname)) // only the cuda variant gets here (the cpu variant refused them above)
      throw Error("the base image " + base->ref.str() + " does not provide " + l.soname + ", which " +
                  spec.programs.front().name +
                  " needs: build on a CUDA runtime image (nvidia/cuda:<version>-runtime-<os>) of the CUDA version it was built with");
    TarEntry e;
    e.path = libdir + "/" + l.soname;
    e.source = stdfs::canonical(l.path);
    e.mode = 0755;
    placed[l.soname] = e.path;
    entries.push_back(std::move(e));
  }
  return entries;
}

// The program interpreter (ld-linux), unless the base has it: a link to the
// copy among the libraries, or the build machine's file.
void add_interpreter(const BuildSpec& spec, const ElfInfo& main_elf, const std::map<std::string, std::string>& placed,
                     std::vector<TarEntry>& entries) {
  if (main_elf.interp.empty()) return;
  const std::string interp = stdfs::path(main_elf.interp).relative_path().generic_string();
  if (spec.base && spec.base->files.exists(interp)) return;
  const std::string soname = stdfs::path(main_elf.interp).filename().string();
  const auto at = placed.find(soname);
  if (at != placed.end() && at->second == interp) return; // already there
  TarEntry e;
  e.path = interp;
  if (at != placed.end()) {
    e.type = TarEntry::Type::symlink;
    e.link = rel_link(interp, at->second);
  } else {
    e.source = stdfs::canonical(spec.search.root.empty() || spec.search.root == "/"
                                    ? stdfs::path(main_elf.interp)
                                    : spec.search.root / stdfs::path(main_elf.interp).relative_path());
    e.mode = 0755;
  }
  entries.push_back(std::move(e));
}

// /tmp and the CA bundle for an image from scratch, and the working directory.
void add_system_files(const BuildSpec& spec, std::vector<TarEntry>& entries) {
  const BaseImage* base = spec.base;
  auto add_dir = [&](const std::string& p, unsigned mode) {
    if (p.empty() || (base && base->files.type_of(p).has_value())) return;
    entries.push_back(TarEntry{p, TarEntry::Type::directory, mode, {}, {}, {}});
  };
  if (!base) {
    add_dir("tmp", 01777);
    std::error_code ec;
    if (!spec.ca_bundle.empty() && stdfs::is_regular_file(spec.ca_bundle, ec)) {
      TarEntry e;
      e.path = spec.ca_bundle.relative_path().generic_string();
      e.source = stdfs::canonical(spec.ca_bundle);
      entries.push_back(std::move(e));
    }
  }
  add_dir(stdfs::path(spec.workdir).relative_path().generic_string(), 0777);
}

// 3. One layer of `entries` (with their parent directories the base lacks) on top of r.image.
void add_layer(const BuildSpec& spec, const std::vector<TarEntry>& entries, const std::string& created_by, BlobStore& store,
               BuildResult& r, Json& history) {
  const BaseImage* base = spec.base;
  auto skip_dir = [&](const std::string& p) { return base && (base->files.type_of(p).has_value() || base->files.exists(p)); };
  std::string diff_id;
  r.image.layers.push_back(build_layer(with_parent_dirs(entries, skip_dir), spec.mtime, store, diff_id, spec.gzip_level));
  r.image.diff_ids.push_back(diff_id);
  r.image.layer_origins.push_back("");
  history.push_back({{"created", rfc3339(spec.mtime)}, {"created_by", created_by}});
}

// 4. The container config: the base's, with PATH, the spec's env and labels, the entrypoint and workdir.
Json container_config(const BuildSpec& spec) {
  Json cfg = spec.base ? spec.base->config.value("config", Json::object()) : Json::object();
  if (!cfg.is_object()) cfg = Json::object();
  std::vector<std::string> env;
  if (cfg.contains("Env") && cfg["Env"].is_array())
    for (const auto& e : cfg["Env"]) env.push_back(e.get<std::string>());
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || env_name(e) == "PATH";
  if (!has_path) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const auto& kv : spec.env) {
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return env_name(e) == env_name(kv); });
    if (it != env.end()) *it = kv;
    else env.push_back(kv);
  }
  cfg["Env"] = env;
  cfg["Entrypoint"] = Json::array({"/usr/local/bin/" + spec.programs.front().name});
  cfg.erase("Cmd");
  cfg["WorkingDir"] = spec.workdir;
  Json labels = cfg.contains("Labels") && cfg["Labels"].is_object() ? cfg["Labels"] : Json::object();
  for (const auto& [k, v] : spec.labels) labels[k] = v;
  cfg["Labels"] = labels;
  return cfg;
}

// The image config and the manifest, stored as blobs.
void store_config_and_manifest(const BuildSpec& spec, const ElfInfo& main_elf, Json history, BlobStore& store,
                               BuildResult& r) {
  Json config = Json::object();
  config["created"] = rfc3339(spec.mtime);
  config["architecture"] = r.architecture;
  if (main_elf.machine == 183) config["variant"] = "v8";
  config["os"] = "linux";
  config["config"] = container_config(spec);
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", r.image.diff_ids}};
  config["history"] = std::move(history);
  r.image.config_bytes = config.dump();
  r.image.config = store.put(media::k_oci_config, r.image.config_bytes);

  Json manifest = Json::object();
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = media::k_oci_manifest;
  manifest["config"] = r.image.config.to_json();
  Json layers = Json::array();
  for (const auto& l : r.image.layers) layers.push_back(l.to_json());
  manifest["layers"] = layers;
  if (spec.base)
    manifest["annotations"] = {{"org.opencontainers.image.base.name", spec.base->ref.str()},
                               {"org.opencontainers.image.base.digest", spec.base->digest}};
  r.image.manifest_bytes = manifest.dump();
  r.image.manifest = store.put(media::k_oci_manifest, r.image.manifest_bytes);
}

} // namespace

BuildResult build_image(const BuildSpec& spec, BlobStore& store) {
  if (spec.programs.empty()) throw Error("nothing to put in the image: no programs");
  if (spec.variant != "cpu" && spec.variant != "cuda") throw UsageError("unknown variant " + str::quote(spec.variant));
  const ElfInfo main_elf = read_elf(spec.programs.front().host_path);
  BuildResult r;
  r.architecture = oci_architecture(main_elf.machine);
  const BaseImage* base = spec.base;
  if (spec.variant == "cuda" && !base)
    throw UsageError("the cuda variant needs a CUDA runtime base image: set spec.image.base in kf.yaml");

  const auto libs = needed_libraries(spec, main_elf); // 1
  std::map<std::string, std::string> placed;          // 2
  std::vector<TarEntry> lib_entries = library_entries(spec, libs, r, placed);
  add_interpreter(spec, main_elf, placed, lib_entries);
  for (const auto& e : lib_entries)
    if (e.type == TarEntry::Type::file) r.bundled.push_back("/" + e.path);
  add_system_files(spec, lib_entries);

  // 3. The layers: the base's, then libraries, then programs.
  if (base) {
    r.image.layers = base->image.layers;
    r.image.diff_ids = base->image.diff_ids;
    r.image.layer_origins = base->image.layer_origins;
  }
  Json history = base ? base->config.value("history", Json::array()) : Json::array();
  if (!lib_entries.empty())
    add_layer(spec, lib_entries, "kf build: " + std::to_string(r.bundled.size()) + " libraries (" + spec.variant + ")",
              store, r, history);
  std::vector<TarEntry> prog_entries;
  std::vector<std::string> names;
  for (const auto& p : spec.programs) {
    prog_entries.push_back(TarEntry{"usr/local/bin/" + p.name, TarEntry::Type::file, 0755, p.host_path, {}, {}});
    names.push_back(p.name);
  }
  add_layer(spec, prog_entries, "kf build: " + str::join(names, ", "), store, r, history);

  store_config_and_manifest(spec, main_elf, std::move(history), store, r); // 4
  return r;
}

} // namespace kf::image
