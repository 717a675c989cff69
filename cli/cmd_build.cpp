// kf build — libkf/action/build.cpp
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/app.h"
#include "cli/session.h"
#include "cli/output.h"
#include "libkf/action/build.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::cli {

namespace {

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// "16Mi", "512Ki", "1Gi", "4096" -> bytes.
std::uint64_t parse_size(const std::string& text) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const std::uint64_t mult = unit.empty() ? 1 : unit == "Ki" ? 1ull << 10 : unit == "Mi" ? 1ull << 20 : unit == "Gi" ? 1ull << 30 : 0;
  if (used == 0 || mult == 0 || text.front() == '-')
    throw UsageError("--chunk-size " + str::quote(text) + ": a number of bytes, optionally with Ki, Mi or Gi (e.g. 16Mi); 0 = no chunks");
  return n * mult;
}

// Upload progress on stderr: one redrawn line per blob on a terminal,
// a line per finished blob otherwise.
class PushView {
public:
  explicit PushView(bool tty) : m_tty(tty) {}
  void operator()(const image::BlobEvent& e) {
    using S = image::BlobEvent::State;
    const std::string id = e.digest.substr(7, 12);
    if (e.state == S::checking) return;
    const bool final = e.state != S::uploading;
    if (m_tty) {
      const auto now = std::chrono::steady_clock::now();
      if (!final && e.digest == m_current && now - m_last < std::chrono::milliseconds(100)) return;
      m_last = now;
      if (e.digest != m_current && !m_current.empty() && m_open) std::cerr << '\n';
      m_current = e.digest;
      std::string line = "  " + id + "  ";
      if (e.state == S::uploading) {
        const int pct = e.size ? static_cast<int>(100.0 * static_cast<double>(e.done) / static_cast<double>(e.size)) : 100;
        line += bar(pct) + " " + mib(e.done) + " / " + mib(e.size);
      } else {
        line += label(e.state) + " (" + mib(e.size) + ")";
      }
      std::cerr << "\r\033[K" << line << std::flush;
      m_open = true;
      if (final) {
        std::cerr << '\n';
        m_open = false;
        m_current.clear();
      }
    } else if (final) {
      std::cerr << "  " << id << "  " << label(e.state) << " (" << mib(e.size) << ")\n";
    }
  }
  ~PushView() {
    if (m_open) std::cerr << '\n';
  }

private:
  static std::string label(image::BlobEvent::State s) {
    switch (s) {
    case image::BlobEvent::State::exists: return "already there";
    case image::BlobEvent::State::mounted: return "mounted";
    case image::BlobEvent::State::uploaded: return "uploaded";
    default: return "";
    }
  }
  static std::string bar(int pct) {
    const int fill = pct / 5;
    return "[" + std::string(static_cast<std::size_t>(fill), '#') + std::string(static_cast<std::size_t>(20 - fill), '.') + "] " +
           std::to_string(pct) + "%";
  }
  bool m_tty;
  bool m_open = false;
  std::string m_current;
  std::chrono::steady_clock::time_point m_last{};
};

} // namespace

void add_build(CLI::App& app, Globals& g) {
  struct Flags {
    ValuesFlags values;
    std::vector<std::string> outputs;
    std::string tag, variant = "cpu", ca_file, chunk_size = "32Mi", trainer;
    bool push = false, insecure = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("build", "Package kf-trainer and the libraries it needs as an OCI image, without a "
                                          "container engine, and push it to a registry");
  add_values_flags(*cmd, flags->values);
  cmd->add_flag("--push", flags->push, "Push the image to kf.yaml's spec.image.registry");
  cmd->add_option("--tag", flags->tag, "The tag (default: kf.yaml's spec.image.tag)")->type_name("TAG");
  hint(cmd->add_option("--variant", flags->variant, "cpu: self-contained; cuda: on the CUDA runtime base image of spec.image.base (default cpu)")
           ->type_name("VARIANT"),
       Hint{{"cpu", "cuda"}, ""});
  hint(cmd->add_option("-o,--output", flags->outputs,
                       "Also write the image: oci:DIR (an OCI image layout) or docker-archive:FILE (for docker load); "
                       "or a format for the result: table, json, yaml (repeatable)")
           ->type_name("DEST")
           ->expected(1)
           ->allow_extra_args(false)
           ->take_all(),
       Hint{{}, "file"});
  cmd->add_flag("--insecure", flags->insecure, "Talk plain http to registries (a local test registry)");
  hint(cmd->add_option("--ca-file", flags->ca_file, "Trust this CA bundle for registries' TLS (default: the system's)")
           ->type_name("FILE"),
       Hint{{}, "file"});
  cmd->add_option("--chunk-size", flags->chunk_size, "Upload larger blobs in PATCH chunks of SIZE, e.g. 16Mi; 0 = one PUT each (default 32Mi)")
      ->type_name("SIZE");
  hint(cmd->add_option("--trainer", flags->trainer, "The kf-trainer to package (default: $KF_TRAINER, beside kf, or PATH)")
           ->type_name("FILE"),
       Hint{{}, "file"});
  cmd->footer("The image always goes to the project's OCI layout .kf/image/ and is recorded in .kf/image.json: from then "
              "on kf render, kf train, ... use it by digest (registry/name@sha256:...). Layers are reproducible: the same "
              "trainer, libraries and commit give the same digest (file times: $SOURCE_DATE_EPOCH, else 0). Registry "
              "credentials come from ~/.docker/config.json (auths, credHelpers, credsStore), never printed. Prints the "
              "image reference with its digest.\n\n"
              "Examples:\n"
              "  kf build -o oci:image && skopeo inspect oci:image:latest\n"
              "  kf build --push --tag v1\n"
              "  kf build --push --set image.registry=127.0.0.1:5000/ml --insecure\n"
              "  kf build -o docker-archive:trainer.tar && docker load -i trainer.tar\n"
              "  kf build --variant cuda --push        # needs spec.image.base: nvidia/cuda:...-runtime-...");
  on_run(*cmd, g, [flags](Session& s) {
    action::BuildOptions opts;
    opts.load = flags->values.load_options();
    opts.tag = flags->tag;
    opts.variant = flags->variant;
    opts.push = flags->push;
    opts.insecure = flags->insecure;
    opts.ca_file = flags->ca_file;
    opts.chunk_size = parse_size(flags->chunk_size);
    opts.trainer = flags->trainer;
    std::string format = s.g.output;
    for (const auto& o : flags->outputs) {
      if (o == "table" || o == "json" || o == "yaml") format = o;
      else opts.outputs.push_back(o);
    }
    PushView view(::isatty(2) != 0);
    opts.on_blob = [&view](const image::BlobEvent& e) { view(e); };
    const auto r = action::build(s.ctx, opts);
    if (format == "json" || format == "yaml") print_data(r.to_json(), format);
    else std::cout << r.reference << '\n';
    return 0;
  });
}

} // namespace kf::cli
