// Loading and lookup for SchemaSet: CRD files are indexed by a line scan and
// parsed on first use; swagger definitions are mapped to GVKs lazily, so the
// order in which CRDs and swagger documents are added does not matter.

#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>

#include "libkf/render/schema.h"
#include "libkf/render/schema_internal.h"
#include "libkf/util/embedded.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/strings.h"
#include "libkf/util/yaml.h"

namespace kf::render {
namespace {

constexpr std::size_t k_no_source = static_cast<std::size_t>(-1);

struct CrdEntry {
  std::string group, version, kind;
  bool served = true;
  std::size_t source = k_no_source;   // index into Impl::sources; k_no_source for add_crd
  std::shared_ptr<const Json> schema; // null until the source file is parsed
};

struct CrdSource {
  std::filesystem::path file; // a CRD file (YAML) ...
  std::string_view packed;    // ... or one CRD's JSON in kf's built-in pack
  bool parsed = false;
};

struct SwaggerDef {
  std::shared_ptr<const Json> doc; // the whole swagger document
  std::string name;                // key in doc["definitions"]
  std::string group, version, kind;
  bool explicit_gvk = false; // from x-kubernetes-group-version-kind; else "<version>.<Kind>" by name
};

std::pair<std::string, std::string> split_api_version(std::string_view api_version) {
  const auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(api_version)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

std::string gvk_name(const std::string& group, const std::string& version, const std::string& kind) {
  return (group.empty() ? version : group + "/" + version) + ", Kind=" + kind;
}

std::string string_at(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One entry per version of an apiextensions.k8s.io/v1 CRD; `where` names it in errors.
std::vector<CrdEntry> entries_from_crd(Json crd, std::size_t source, const std::string& where) {
  if (!crd.is_object() || string_at(crd, "kind") != "CustomResourceDefinition")
    throw SpecError(where + ": not a CustomResourceDefinition");
  if (string_at(crd, "apiVersion") != "apiextensions.k8s.io/v1")
    throw SpecError(where + ": CustomResourceDefinition " + str::quote(string_at(crd, "apiVersion")) +
                    " is not supported (only apiextensions.k8s.io/v1)");
  Json& spec = crd["spec"];
  const std::string group = spec.is_object() ? string_at(spec, "group") : "";
  const std::string kind = spec.is_object() && spec["names"].is_object() ? string_at(spec["names"], "kind") : "";
  if (group.empty() || kind.empty() || !spec["versions"].is_array())
    throw SpecError(where + ": CustomResourceDefinition without spec.group, spec.names.kind or spec.versions");
  std::vector<CrdEntry> out;
  for (auto& v : spec["versions"]) {
    if (!v.is_object() || string_at(v, "name").empty()) continue;
    CrdEntry e{group, string_at(v, "name"), kind, true, source, nullptr};
    if (const auto served = v.find("served"); served != v.end() && served->is_boolean()) e.served = served->get<bool>();
    Json schema = Json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    if (v.contains("schema") && v["schema"].is_object() && v["schema"].contains("openAPIV3Schema"))
      schema = std::move(v["schema"]["openAPIV3Schema"]);
    e.schema = std::make_shared<const Json>(std::move(schema));
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace

struct SchemaSet::Impl {
  std::string origin = "the loaded schemas"; // for "no schema for ... in <origin>"
  mutable std::mutex mutex;                  // guards everything below (lazy parsing in const calls)
  std::vector<CrdSource> sources;
  std::vector<CrdEntry> crds;
  std::vector<SwaggerDef> defs;

  // Parses a CRD file for real; its entries replace what the scan guessed.
  void parse_source(std::size_t index) {
    CrdSource& src = sources[index];
    src.parsed = true;
    std::erase_if(crds, [&](const CrdEntry& e) { return e.source == index; });
    if (!src.packed.empty()) {
      for (auto& e : entries_from_crd(json::parse(src.packed), index, src.file.string())) crds.push_back(std::move(e));
      return;
    }
    const std::string file = src.file.string();
    for (const auto& doc : yaml::parse_all(fs::read_file(src.file), file)) {
      const yaml::Node* kind = doc.is_map() ? doc.find("kind") : nullptr;
      if (!kind || kind->scalar != "CustomResourceDefinition") continue;
      for (auto& e : entries_from_crd(yaml::to_json(doc), index, doc.loc.str())) crds.push_back(std::move(e));
    }
  }

  // The last served CRD version for a GVK, parsing its file when `load`.
  CrdEntry* find_crd(const std::string& group, const std::string& version, const std::string& kind, bool load) {
    for (;;) { // each parse marks a source parsed, so this ends
      auto it = std::find_if(crds.rbegin(), crds.rend(), [&](const CrdEntry& e) {
        return e.served && e.group == group && e.version == version && e.kind == kind;
      });
      if (it == crds.rend()) return nullptr;
      if (it->schema || !load) return &*it;
      parse_source(it->source);
    }
  }

  const SwaggerDef* find_def(const std::string& group, const std::string& version, const std::string& kind,
                             bool by_name) const {
    const SwaggerDef* found = nullptr;
    for (const auto& d : defs)
      if (d.version == version && d.kind == kind && (d.explicit_gvk ? d.group == group : by_name)) found = &d;
    return found;
  }

  std::optional<detail::RootSchema> lookup(const std::string& group, const std::string& version,
                                           const std::string& kind) {
    const CrdEntry* crd = find_crd(group, version, kind, true);
    const SwaggerDef* def = find_def(group, version, kind, crd != nullptr);
    if (def && (!crd || detail::is_schemaless(*crd->schema))) {
      const Json& definitions = (*def->doc)["definitions"];
      return detail::RootSchema{def->doc, &definitions[def->name], false, &definitions};
    }
    if (crd) return detail::RootSchema{crd->schema, crd->schema.get(), true, nullptr};
    return std::nullopt;
  }
};

SchemaSet::SchemaSet() : m_impl(std::make_unique<Impl>()) {}
SchemaSet::~SchemaSet() = default;
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;

SchemaSet SchemaSet::load_dir(const std::filesystem::path& dir) {
  SchemaSet set;
  set.m_impl->origin = dir.string();
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path());
  if (ec) throw Error("cannot read schema directory " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  Impl& impl = *set.m_impl;
  for (const auto& file : files) {
    const std::string ext = file.extension().string();
    if (ext == ".yaml" || ext == ".yml") {
      std::string text = fs::read_file(file);
      const detail::ScanResult scan = detail::scan_crds(text);
      impl.sources.push_back({file, {}, false});
      const std::size_t index = impl.sources.size() - 1;
      if (!scan.complete) {
        impl.parse_source(index);
        continue;
      }
      for (const auto& crd : scan.crds)
        for (const auto& v : crd.versions) impl.crds.push_back({crd.group, v.name, crd.kind, v.served, index, nullptr});
    } else if (ext == ".json") {
      Json doc;
      try {
        doc = json::parse(fs::read_file(file));
      } catch (const Json::exception& e) {
        throw SpecError(file.string() + ": invalid JSON: " + e.what());
      }
      if (doc.is_object() && (doc.contains("swagger") || doc.contains("definitions")))
        set.add_swagger(std::move(doc));
      else if (doc.is_object() && string_at(doc, "kind") == "CustomResourceDefinition")
        for (auto& e : entries_from_crd(std::move(doc), k_no_source, file.string())) impl.crds.push_back(std::move(e));
    }
  }
  return set;
}

const SchemaSet& SchemaSet::shared_builtin() {
  static const SchemaSet set = builtin();
  return set;
}

SchemaSet SchemaSet::builtin() {
  SchemaSet set;
  Impl& impl = *set.m_impl;
  impl.origin = "kf's built-in CRDs";
  const std::string_view pack = embedded::crd_pack();
  const auto newline = pack.find('\n');
  const Json index = json::parse(pack.substr(0, newline));
  const std::string_view body = pack.substr(newline + 1);
  for (const auto& e : index.at("entries")) {
    const std::string_view text = body.substr(e.at("offset").get<std::size_t>(), e.at("length").get<std::size_t>());
    const std::string source = "built-in " + e.at("source").get<std::string>();
    if (e.at("type") == "swagger") {
      set.add_swagger(json::parse(text));
      continue;
    }
    impl.sources.push_back({source, text, false});
    const std::size_t i = impl.sources.size() - 1;
    for (const auto& v : e.at("versions"))
      impl.crds.push_back({e.at("group").get<std::string>(), v.at("name").get<std::string>(),
                           e.at("kind").get<std::string>(), v.at("served").get<bool>(), i, nullptr});
  }
  return set;
}

void SchemaSet::add_crd(const Json& crd) {
  auto entries = entries_from_crd(crd, k_no_source, "add_crd");
  const std::lock_guard lock(m_impl->mutex);
  for (auto& e : entries) m_impl->crds.push_back(std::move(e));
}

void SchemaSet::add_swagger(Json swagger) {
  if (!swagger.is_object() || !swagger.contains("definitions") || !swagger["definitions"].is_object())
    throw SpecError("swagger document without \"definitions\"");
  auto doc = std::make_shared<const Json>(std::move(swagger));
  std::vector<SwaggerDef> defs;
  for (const auto& [name, def] : (*doc)["definitions"].items()) {
    const auto gvks = def.is_object() ? def.find("x-kubernetes-group-version-kind") : def.end();
    if (def.is_object() && gvks != def.end()) {
      const Json list = gvks->is_array() ? *gvks : Json::array({*gvks});
      for (const auto& g : list)
        if (g.is_object())
          defs.push_back({doc, name, string_at(g, "group"), string_at(g, "version"), string_at(g, "kind"), true});
      continue;
    }
    const std::string bare = name.starts_with('.') ? name.substr(1) : name; // Katib writes ".v1beta1.Trial"
    const auto dot = bare.find('.');
    if (dot == std::string::npos || bare.find('.', dot + 1) != std::string::npos) continue;
    defs.push_back({doc, name, "", bare.substr(0, dot), bare.substr(dot + 1), false});
  }
  const std::lock_guard lock(m_impl->mutex);
  for (auto& d : defs) m_impl->defs.push_back(std::move(d));
}

bool SchemaSet::has(std::string_view api_version, std::string_view kind) const {
  const auto [group, version] = split_api_version(api_version);
  const std::string k(kind);
  const std::lock_guard lock(m_impl->mutex);
  return m_impl->find_crd(group, version, k, false) || m_impl->find_def(group, version, k, false);
}

std::vector<std::string> SchemaSet::kinds() const {
  std::vector<std::string> out;
  {
    const std::lock_guard lock(m_impl->mutex);
    for (const auto& e : m_impl->crds)
      if (e.served) out.push_back(gvk_name(e.group, e.version, e.kind));
    for (const auto& d : m_impl->defs)
      if (d.explicit_gvk) out.push_back(gvk_name(d.group, d.version, d.kind));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<Violation> SchemaSet::validate(const Json& obj) const {
  if (!obj.is_object() || !obj.contains("apiVersion") || !obj["apiVersion"].is_string() || !obj.contains("kind") ||
      !obj["kind"].is_string())
    throw SpecError("cannot validate an object without apiVersion and kind");
  const std::string api_version = obj["apiVersion"].get<std::string>();
  const std::string kind = obj["kind"].get<std::string>();
  const auto [group, version] = split_api_version(api_version);
  std::optional<detail::RootSchema> root;
  {
    const std::lock_guard lock(m_impl->mutex);
    root = m_impl->lookup(group, version, kind);
  }
  if (!root) throw Error("no schema for " + api_version + ", Kind=" + kind + " in " + m_impl->origin);

  std::string object = kind;
  const Json* meta = obj.contains("metadata") && obj["metadata"].is_object() ? &obj["metadata"] : nullptr;
  if (meta && meta->contains("name") && (*meta)["name"].is_string())
    object += " " + str::quote((*meta)["name"].get<std::string>());
  else if (meta && meta->contains("generateName") && (*meta)["generateName"].is_string())
    object += " " + str::quote((*meta)["generateName"].get<std::string>());
  else
    object += " (unnamed)";

  std::vector<Violation> out;
  detail::validate_root(*root, obj, object, out);
  return out;
}

} // namespace kf::render
