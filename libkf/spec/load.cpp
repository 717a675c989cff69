#include "libkf/spec/load.h"

#include "libkf/spec/decode.h"
#include "libkf/spec/fields.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"

namespace kf::spec {

namespace stdfs = std::filesystem;

std::optional<stdfs::path> find_project_file(const stdfs::path& start) {
  std::error_code ec;
  stdfs::path dir = stdfs::absolute(start, ec);
  if (ec) return std::nullopt;
  while (true) {
    if (stdfs::is_regular_file(dir / k_project_file, ec)) return dir / k_project_file;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

yaml::Node merged_tree(const stdfs::path& file, const LoadOptions& options) {
  yaml::Node root = yaml::parse_file(file.string());
  for (const auto& values : options.values_files) {
    std::error_code ec;
    if (!stdfs::is_regular_file(values, ec)) throw UsageError("values file " + values + " does not exist");
    yaml::Node overlay = yaml::parse_file(values);
    if (!overlay.is_null() && !overlay.is_map())
      throw SpecError(overlay.loc.str() + ": a values file must be a mapping, got " + overlay.kind_name());
    yaml::merge(root, overlay);
  }
  for (const auto& s : options.set_values) apply_set(root, s);
  return root;
}

// The notebooks of notebook steps, relative to kf.yaml: what the rendered
// Workflow carries (a raw input artifact), so a step runs the notebook as
// it was at submit, and its content is part of the step's cache key.
void read_notebooks(LoadedProject& out) {
  Diagnostics diag;
  for (auto& pl : out.project.pipelines)
    for (auto& s : pl.steps) {
      if (s.notebook.empty()) continue;
      const stdfs::path file = (out.dir / s.notebook).lexically_normal();
      try {
        s.notebook_source = fs::read_file(file);
      } catch (const Error&) {
        diag.error(s.notebook_loc, s.path + ".notebook", "cannot read " + file.string());
        continue;
      }
      const Json nb = json::parse_or_discarded(s.notebook_source);
      if (nb.is_discarded() || !nb.is_object() || !nb.contains("cells"))
        diag.error(s.notebook_loc, s.path + ".notebook", file.string() + " is not a Jupyter notebook (JSON with \"cells\")");
    }
  diag.throw_if_any();
}

LoadedProject load_project(const LoadOptions& options) {
  const auto found = find_project_file(options.start);
  if (!found) {
    std::error_code ec;
    stdfs::path where = stdfs::absolute(options.start, ec).lexically_normal();
    if (where.filename().empty()) where = where.parent_path(); // "/a/b/" -> "/a/b"
    throw UsageError("no " + std::string(k_project_file) + " in " + where.string() +
                    " or any parent directory (create one with 'kf init')");
  }
  LoadedProject out;
  out.dir = found->parent_path();
  std::error_code ec;
  stdfs::path rel = stdfs::relative(*found, stdfs::current_path(ec), ec);
  out.file = (ec || rel.empty()) ? *found : rel;
  out.project = decode_project(merged_tree(out.file, options));
  read_notebooks(out);
  return out;
}

} // namespace kf::spec
