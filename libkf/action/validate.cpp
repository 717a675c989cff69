#include "libkf/action/validate.h"

#include "libkf/render/render.h"
#include "libkf/render/schema.h"
#include "libkf/action/runs.h"
#include "libkf/spec/target.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"

namespace kf::action {

namespace stdfs = std::filesystem;

bool ValidateResult::ok() const {
  for (const auto& o : objects)
    if (!o.violations.empty()) return false;
  return true;
}

namespace {

ValidatedObject check(const render::SchemaSet& schemas, const Json& obj, const std::string& source,
                      const yaml::Node* node) {
  ValidatedObject v;
  v.kind = obj.value("kind", "");
  v.name = obj.contains("metadata") && obj["metadata"].is_object() ? obj["metadata"].value("name", "") : "";
  v.source = source;
  const std::string api_version = obj.value("apiVersion", "");
  if (!schemas.has(api_version, v.kind)) return v;
  v.checked = true;
  for (const auto& violation : schemas.validate(obj)) {
    std::string line = violation.str();
    if (node) line = yaml::node_at(*node, violation.path)->loc.str() + ": " + line;
    v.violations.push_back(line);
  }
  return v;
}

// The schemas to check against: --schemas DIR; else, for the project's own
// objects (`project`, null for -f files) on a cluster target, the CRDs
// installed there; else kf's built-in CRDs.
render::SchemaSet load_schemas(const Context& ctx, const ValidateOptions& options, const spec::Project* project) {
  if (!options.schemas.empty()) {
    ctx.reporter.debug("schemas loaded from " + options.schemas.string());
    return render::SchemaSet::load_dir(options.schemas);
  }
  if (project) {
    const auto t = spec::resolve_target(*project, options.target);
    if (t.type != "local") {
      auto pt = open_target(ctx, options.load, options.target);
      if (const auto crds = pt.target->installed_crds()) {
        render::SchemaSet schemas;
        for (const auto& crd : *crds) schemas.add_crd(crd);
        ctx.reporter.debug(std::to_string(crds->size()) + " CRDs read from target " + t.name);
        return schemas;
      }
    }
  }
  ctx.reporter.debug("schemas: kf's built-in CRDs");
  return render::SchemaSet::builtin();
}

} // namespace

ValidateResult validate(const Context& ctx, const ValidateOptions& options) {
  std::error_code ec;
  if (!options.schemas.empty() && !stdfs::is_directory(options.schemas, ec))
    throw UsageError("--schemas " + options.schemas.string() + ": not a directory");
  ValidateResult result;

  if (options.files.empty()) {
    auto loaded = spec::load_project(options.load);
    const render::SchemaSet schemas = load_schemas(ctx, options, &loaded.project);
    spec::select_target(loaded.project, options.target);
    result.project = loaded.project.name;
    const render::Renderer renderer(loaded.project, loaded.dir);
    for (const auto& obj : renderer.render(render::Selection{}))
      result.objects.push_back(check(schemas, obj, "rendered", nullptr));
    return result;
  }

  const render::SchemaSet schemas = load_schemas(ctx, options, nullptr);
  for (const auto& file : options.files) {
    const std::string text = file == "-" ? options.stdin_text : fs::read_file(file);
    const std::string shown = file == "-" ? "<stdin>" : file;
    for (const auto& doc : yaml::parse_all(text, shown)) {
      const Json obj = yaml::to_json(doc);
      if (!obj.is_object() || !obj.contains("apiVersion") || !obj.contains("kind"))
        throw SpecError(doc.loc.str() + ": not a Kubernetes object (apiVersion and kind are required)");
      if (obj["kind"] == "List" && obj.contains("items")) {
        const yaml::Node* items = doc.find("items");
        for (std::size_t i = 0; i < obj["items"].size(); ++i) {
          const yaml::Node* item = items && i < items->items.size() ? &items->items[i] : nullptr;
          result.objects.push_back(check(schemas, obj["items"][i], item ? item->loc.str() : doc.loc.str(), item));
        }
        continue;
      }
      result.objects.push_back(check(schemas, obj, doc.loc.str(), &doc));
    }
  }
  return result;
}

} // namespace kf::action
