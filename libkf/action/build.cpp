#include "libkf/action/build.h"

#include "libkf/lib/git.h"
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "libkf/image/base.h"
#include "libkf/image/builder.h"
#include "libkf/image/push.h"
#include "libkf/image/reference.h"
#include "libkf/local/local_target.h"
#include "libkf/local/run_dir.h"
#include "libkf/metadata/runs.h"
#include "libkf/render/trainer_image.h"
#include "libkf/util/error.h"
#include "libkf/util/git.h"
#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::action {

namespace stdfs = std::filesystem;

namespace {

bool executable(const stdfs::path& p) {
  std::error_code ec;
  return stdfs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// kf-server, when it was built beside the trainer (installed, or the build
// tree's runtime/server/), else where kf finds it ($KF_SERVER, beside kf).
std::optional<stdfs::path> find_server(const stdfs::path& trainer) {
  const stdfs::path dir = trainer.parent_path();
  for (const auto& p : {dir / "kf-server", dir / "server" / "kf-server"})
    if (executable(p)) return stdfs::weakly_canonical(p);
  try {
    return stdfs::path(local::find_runtime("kf-server"));
  } catch (const Error&) {
    return std::nullopt; // not built: the image has the trainer only
  }
}

std::string origin_url(const stdfs::path& dir) {
  git_repository* repo = nullptr;
  std::string url;
  if (lib::git().repository_open_ext(&repo, dir.c_str(), 0, nullptr) == 0) {
    git_remote* remote = nullptr;
    if (lib::git().remote_lookup(&remote, repo, "origin") == 0) {
      if (const char* u = lib::git().remote_url(remote)) url = u;
      lib::git().remote_free(remote);
    }
    lib::git().repository_free(repo);
  }
  return strip_url_credentials(url);
}

std::int64_t source_date_epoch() {
  const char* env = std::getenv("SOURCE_DATE_EPOCH");
  if (!env || !*env) return 0;
  char* end = nullptr;
  const long long v = std::strtoll(env, &end, 10);
  if (*end != '\0' || v < 0) throw UsageError(std::string("SOURCE_DATE_EPOCH=") + env + " is not a number of seconds");
  return v;
}

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

} // namespace

std::string strip_url_credentials(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto host_start = scheme + 3;
  const auto path = url.find('/', host_start);
  const auto at = url.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at == std::string::npos || at < host_start) return url;
  return url.substr(0, host_start) + url.substr(at + 1);
}

std::vector<BuildOutput> validate(const BuildOptions& o) {
  if (o.variant != "cpu" && o.variant != "cuda")
    throw UsageError("unknown variant " + str::quote(o.variant) + str::did_you_mean(o.variant, {"cpu", "cuda"}) +
                     ": choose cpu (a self-contained image) or cuda (on a CUDA runtime base image)");
  std::vector<BuildOutput> out;
  for (const auto& spec : o.outputs) {
    const auto colon = spec.find(':');
    const std::string kind = colon == std::string::npos ? "" : spec.substr(0, colon);
    const std::string path = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if ((kind != "oci" && kind != "docker-archive") || path.empty())
      throw UsageError("-o " + str::quote(spec) + ": write the image with -o oci:DIR (an OCI image layout) or "
                       "-o docker-archive:FILE (for docker load); formats are table, json and yaml");
    out.push_back(BuildOutput{kind, path});
  }
  if (!o.ca_file.empty()) {
    std::error_code ec;
    if (!stdfs::is_regular_file(o.ca_file, ec)) throw UsageError("--ca-file " + o.ca_file + ": no such file");
  }
  return out;
}

Json BuildResult::to_json() const {
  Json j = Json::object();
  j["reference"] = reference;
  j["digest"] = digest;
  j["tag"] = tagged;
  j["variant"] = variant;
  j["architecture"] = architecture;
  j["commit"] = commit;
  if (!base.empty()) j["base"] = base;
  Json ls = Json::array();
  for (const auto& l : layers) {
    Json e = {{"digest", l.digest}, {"size", l.size}};
    if (!l.origin.empty()) e["from"] = l.origin;
    ls.push_back(e);
  }
  j["layers"] = ls;
  j["libraries"] = {{"bundled", bundled}, {"fromBase", from_base}, {"skipped", skipped}};
  j["layout"] = layout.string();
  Json outs = Json::array();
  for (const auto& o : outputs) outs.push_back(o.kind + ":" + o.path.string());
  j["outputs"] = outs;
  j["pushed"] = pushed;
  if (pushed)
    j["push"] = {{"uploaded", blobs_uploaded}, {"existing", blobs_existing}, {"mounted", blobs_mounted},
                 {"bytesUploaded", bytes_uploaded}};
  return j;
}

namespace {

// The build in the metadata store: a run of kind Build whose output is the
// image (kf.Image, uri = the reference by digest), so `kf status` lists it
// with its git commit. A store that cannot be written costs a warning, not the build.
void record_build(const Context& ctx, const stdfs::path& project_dir, const std::string& project, const BuildResult& r,
                  const BuildOptions& o) {
  try {
    metadata::Runs runs(local::metadata_db(project_dir));
    metadata::RunRecord rec;
    rec.project = project;
    rec.kind = "Build";
    rec.target = "local";
    rec.state = "Succeeded";
    rec.message = "built " + r.reference + (r.pushed ? " and pushed " + r.tagged : "");
    rec.parameters = {{"variant", o.variant}, {"tag", r.tagged}, {"pushed", r.pushed}};
    if (!r.base.empty()) rec.parameters["base"] = r.base;
    rec.git_commit = r.commit;
    const auto head = git::head(project_dir);
    rec.git_dirty = head && head->dirty;
    for (int attempt = 0;; ++attempt) { // a concurrent kf may take the proposed name first
      rec.name = runs.next_name(project + "-build");
      try {
        runs.start(rec);
        break;
      } catch (const Error&) {
        if (attempt >= 100) throw;
      }
    }
    metadata::ArtifactRecord image;
    image.type = "kf.Image";
    image.name = "image";
    image.uri = r.reference;
    image.sha256 = r.digest.substr(r.digest.find(':') + 1);
    image.direction = "output";
    runs.add_artifact(rec.name, image);
    ctx.reporter.debug("recorded as run " + rec.name + " in " + local::metadata_db(project_dir).string());
  } catch (const Error& e) {
    ctx.reporter.warn(std::string("the build is not recorded in the metadata store: ") + e.what());
  }
}

} // namespace

namespace {

// The programs: the trainer (the cpu variant takes the CUDA-free build when
// there is one) and the model server beside it.
std::vector<image::Program> programs_of(const Context& ctx, const BuildOptions& o) {
  stdfs::path trainer = o.trainer;
  if (trainer.empty() && o.variant == "cpu") {
    try {
      trainer = local::find_runtime("kf-trainer-cpu");
    } catch (const Error&) {
    }
  }
  if (trainer.empty()) trainer = local::find_runtime("kf-trainer");
  if (!executable(trainer)) throw Error(trainer.string() + " is not an executable file");
  std::vector<image::Program> programs{{trainer, "kf-trainer"}};
  ctx.reporter.debug("trainer: " + trainer.string());
  if (auto server = find_server(trainer)) {
    programs.push_back({*server, "kf-server"});
    ctx.reporter.debug("model server: " + server->string());
  }
  return programs;
}

// The OCI labels: title, version, revision (HEAD; a warning when the work tree is dirty), source, kf's own.
void label(const Context& ctx, const spec::LoadedProject& loaded, const BuildOptions& o, const std::string& tag,
           image::BuildSpec& spec, BuildResult& r) {
  if (const auto head = git::head(loaded.dir)) {
    r.commit = head->commit;
    if (head->dirty) ctx.reporter.warn("the work tree has uncommitted changes; the image's revision label names HEAD " + r.commit.substr(0, 12));
  }
  spec.labels["org.opencontainers.image.title"] = loaded.project.name;
  spec.labels["org.opencontainers.image.version"] = tag;
  if (!r.commit.empty()) spec.labels["org.opencontainers.image.revision"] = r.commit;
  if (const std::string src = origin_url(loaded.dir); !src.empty()) spec.labels["org.opencontainers.image.source"] = src;
  spec.labels["dev.kf.version"] = k_version;
  spec.labels["dev.kf.variant"] = o.variant;
}

// kf.yaml's spec.image.base, pulled into the store (its client is kept for a push to the same registry).
std::unique_ptr<image::BaseImage> pull_base(const Context& ctx, const std::string& base_ref, const image::RegistryOptions& ro,
                                            const stdfs::path& trainer, image::BlobStore& store,
                                            std::unique_ptr<image::RegistryClient>& client, BuildResult& r) {
  const auto ref = image::parse_reference(base_ref);
  r.base = ref.str();
  ctx.reporter.info("pulling base image " + ref.str());
  client = std::make_unique<image::RegistryClient>(ref.registry, ro);
  client->ping();
  auto base = std::make_unique<image::BaseImage>(
      image::pull_base(*client, ref, image::oci_architecture(image::read_elf(trainer).machine), store));
  ctx.reporter.debug("base " + ref.str() + " (" + base->digest + "): " + std::to_string(base->image.layers.size()) +
                     " layers, " + std::to_string(base->files.size()) + " paths");
  return base;
}

// What build_image made, into the result and the log.
void report_built(const Context& ctx, const image::BuildResult& built, const std::string& repository,
                  const std::string& variant, BuildResult& r) {
  r.architecture = built.architecture;
  r.bundled = built.bundled;
  r.from_base = built.from_base;
  r.skipped = built.skipped;
  r.digest = built.image.manifest.digest;
  r.reference = repository + "@" + r.digest;
  for (std::size_t i = 0; i < built.image.layers.size(); ++i)
    r.layers.push_back({built.image.layers[i].digest, built.image.layers[i].size, built.image.layer_origins[i]});
  for (const auto& lib : built.bundled) ctx.reporter.debug("bundled " + lib);
  for (const auto& lib : built.from_base) ctx.reporter.debug("from the base image: " + lib);
  for (const auto& lib : built.skipped) ctx.reporter.debug("left to the GPU driver: " + lib);
  std::uint64_t total = 0;
  for (const auto& l : built.image.layers) total += l.size;
  ctx.reporter.info("built " + r.digest.substr(0, 19) + " (" + variant + ", " + std::to_string(built.image.layers.size()) +
                    " layers, " + mib(total) + ")");
}

// --push: through the base's client when it is the same registry.
void push(const Context& ctx, const BuildOptions& o, const image::Image& image, image::BlobStore& store,
          const image::Reference& target, const std::string& tag, const image::RegistryOptions& ro,
          image::RegistryClient* base_client, BuildResult& r) {
  std::unique_ptr<image::RegistryClient> own;
  image::RegistryClient* client = base_client && base_client->registry() == target.registry ? base_client : nullptr;
  if (!client) {
    own = std::make_unique<image::RegistryClient>(target.registry, ro);
    client = own.get();
    client->ping();
  }
  image::PushStats stats;
  const std::string pushed = image::push_image(*client, image, store, target.repository, tag, o.chunk_size, o.on_blob, stats);
  if (pushed != r.digest) throw Error(target.registry + ": the registry stored the manifest as " + pushed);
  r.pushed = true;
  r.blobs_uploaded = stats.uploaded;
  r.blobs_existing = stats.existed;
  r.blobs_mounted = stats.mounted;
  r.bytes_uploaded = stats.bytes_uploaded;
  ctx.reporter.info("pushed " + r.tagged + " (" + std::to_string(stats.uploaded) + " blobs uploaded, " +
                    std::to_string(stats.existed) + " already there, " + std::to_string(stats.mounted) + " mounted)");
}

} // namespace

BuildResult build(const Context& ctx, const BuildOptions& o) {
  BuildResult r;
  r.outputs = validate(o);
  const auto loaded = spec::load_project(o.load);
  const spec::ImageSpec& is = loaded.project.image;
  r.variant = o.variant;
  if (o.variant == "cuda" && is.base.empty())
    throw UsageError("--variant cuda needs a CUDA runtime base image: set spec.image.base in kf.yaml (for example "
                     "nvidia/cuda:13.0.0-runtime-ubuntu24.04); kf does not copy the CUDA libraries (gigabytes) into an "
                     "image of its own");
  if (o.push && is.registry.empty())
    throw UsageError("--push needs a registry: set spec.image.registry in kf.yaml (or --set image.registry=HOST[:PORT][/PATH])");
  const std::string tag = o.tag.empty() ? (is.tag.empty() ? "latest" : is.tag) : o.tag;
  const std::string repository = render::image_repository(is);
  r.tagged = repository + ":" + tag;
  const image::Reference target = image::parse_reference(r.tagged); // checks name and tag
  const std::int64_t mtime = source_date_epoch();

  image::BuildSpec spec;
  spec.variant = o.variant;
  spec.mtime = mtime;
  spec.programs = programs_of(ctx, o);
  label(ctx, loaded, o, tag, spec, r);
  image::RegistryOptions ro;
  ro.insecure = o.insecure;
  ro.ca_file = o.ca_file;
  ro.auth.config_dir = o.docker_config;
  ro.log = [&ctx](const std::string& line) { ctx.reporter.debug(line); };
  r.layout = (loaded.dir / ".kf" / "image").lexically_normal();
  image::BlobStore store(r.layout);
  std::unique_ptr<image::RegistryClient> base_client;
  std::unique_ptr<image::BaseImage> base;
  if (!is.base.empty()) base = pull_base(ctx, is.base, ro, spec.programs.front().host_path, store, base_client, r);
  spec.base = base.get();

  const auto built = image::build_image(spec, store);
  report_built(ctx, built, repository, o.variant, r);
  image::write_oci_layout(built.image, store, r.layout, tag, true);
  for (const auto& out : r.outputs) {
    if (out.kind == "oci") image::write_oci_layout(built.image, store, out.path, tag);
    else image::write_docker_archive(built.image, store, out.path, r.tagged, mtime);
    ctx.reporter.info("wrote " + out.kind + ":" + out.path.string());
  }
  if (o.push) push(ctx, o, built.image, store, target, tag, ro, base_client.get(), r);

  render::BuiltImage record;
  record.repository = repository;
  record.tag = tag;
  record.digest = r.digest;
  record.variant = o.variant;
  record.commit = r.commit;
  record.pushed = r.pushed;
  render::write_built_image(loaded.dir, record);
  record_build(ctx, loaded.dir, loaded.project.name, r, o);
  return r;
}

} // namespace kf::action
