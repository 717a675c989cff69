// kf-crdpack: packs the upstream CRDs kf validates against into the form
// compiled into kf (libkf/render/schema_builtin.cpp reads it).
//
//   kf-crdpack CRD_DIR PACK_OUT CPP_OUT
//
// Reads every *.yaml / *.yml (CustomResourceDefinitions; other documents are
// skipped) and *.json (a swagger 2.0 document, or a CRD) directly in CRD_DIR,
// keeps only what validation reads — each version's name, served flag and
// openAPIV3Schema, or a swagger document's definitions — without the
// `description` texts, and writes PACK_OUT:
//
//   line 1: {"format":"kf-crdpack/1","entries":[{"source":FILE,"type":"crd"|"swagger",
//            "group":G,"kind":K,"versions":[{"name":V,"served":B}],"offset":O,"length":L}, ...]}
//   then:   the entries' compact JSON documents, back to back; offsets count
//           from the first byte after line 1.
//
// CPP_OUT assembles PACK_OUT into the binary with .incbin and defines
// kf::embedded::crd_pack(). It names the pack's size and hash, so a compiler
// cache sees a new source whenever the pack changes.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "libkf/util/error.h"
#include "libkf/util/fs.h"
#include "libkf/util/json.h"
#include "libkf/util/yaml.h"

namespace {

namespace stdfs = std::filesystem;
using kf::Json;

Json strip_schema(const Json& schema);

// A map whose values are schemas (properties, definitions, ...): its keys are
// field names, never keywords, so only the values are stripped.
Json strip_schema_map(const Json& map) {
  if (!map.is_object()) return map;
  Json out = Json::object();
  for (const auto& [name, value] : map.items()) out[name] = strip_schema(value);
  return out;
}

// Drops `description` texts from a schema and the schemas below it; values
// (default, enum, example) are data and are kept whole.
Json strip_schema(const Json& schema) {
  if (schema.is_array()) {
    Json out = Json::array();
    for (const auto& item : schema) out.push_back(strip_schema(item));
    return out;
  }
  if (!schema.is_object()) return schema;
  Json out = Json::object();
  for (const auto& [key, value] : schema.items()) {
    if (key == "description" && value.is_string()) continue;
    if (key == "default" || key == "enum" || key == "example")
      out[key] = value;
    else if (key == "properties" || key == "patternProperties" || key == "definitions")
      out[key] = strip_schema_map(value);
    else
      out[key] = strip_schema(value);
  }
  return out;
}

struct Entry {
  Json index; // the entry of line 1, without offset/length
  std::string body;
};

const Json* at(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string string_at(const Json& j, const char* key) {
  const Json* v = at(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

Entry pack_crd(const Json& crd, const std::string& source) {
  const Json* spec = at(crd, "spec");
  const Json* versions = spec ? at(*spec, "versions") : nullptr;
  const Json* names = spec ? at(*spec, "names") : nullptr;
  const std::string group = spec ? string_at(*spec, "group") : "";
  const std::string kind = names ? string_at(*names, "kind") : "";
  if (string_at(crd, "apiVersion") != "apiextensions.k8s.io/v1" || group.empty() || kind.empty() || !versions ||
      !versions->is_array())
    throw kf::SpecError(source + ": not an apiextensions.k8s.io/v1 CustomResourceDefinition with group, kind and versions");
  Json packed_versions = Json::array();
  Json index_versions = Json::array();
  for (const auto& v : *versions) {
    const std::string name = string_at(v, "name");
    if (name.empty()) continue;
    const Json* served = at(v, "served");
    const bool is_served = !served || !served->is_boolean() || served->get<bool>();
    Json pv = {{"name", name}, {"served", is_served}};
    const Json* schema = at(v, "schema");
    if (const Json* root = schema ? at(*schema, "openAPIV3Schema") : nullptr)
      pv["schema"] = {{"openAPIV3Schema", strip_schema(*root)}};
    packed_versions.push_back(std::move(pv));
    index_versions.push_back({{"name", name}, {"served", is_served}});
  }
  const Json packed = {{"apiVersion", "apiextensions.k8s.io/v1"},
                       {"kind", "CustomResourceDefinition"},
                       {"spec", {{"group", group}, {"names", {{"kind", kind}}}, {"versions", packed_versions}}}};
  return {{{"source", source}, {"type", "crd"}, {"group", group}, {"kind", kind}, {"versions", index_versions}},
          packed.dump()};
}

std::vector<Entry> pack_file(const stdfs::path& file) {
  const std::string source = file.filename().string();
  const std::string text = kf::fs::read_file(file);
  std::vector<Entry> out;
  if (file.extension() == ".json") {
    Json doc;
    try {
      doc = kf::json::parse(text);
    } catch (const Json::parse_error& e) {
      throw kf::SpecError(file.string() + ": invalid JSON: " + e.what());
    }
    if (at(doc, "definitions")) {
      const std::string version = string_at(doc, "swagger");
      const Json packed = {{"swagger", version.empty() ? "2.0" : version},
                           {"definitions", strip_schema_map(doc["definitions"])}};
      out.push_back({{{"source", source}, {"type", "swagger"}}, packed.dump()});
    } else if (string_at(doc, "kind") == "CustomResourceDefinition") {
      out.push_back(pack_crd(doc, source));
    }
    return out;
  }
  for (const auto& doc : kf::yaml::parse_all(text, file.string())) {
    const kf::yaml::Node* kind = doc.is_map() ? doc.find("kind") : nullptr;
    if (kind && kind->scalar == "CustomResourceDefinition") out.push_back(pack_crd(kf::yaml::to_json(doc), source));
  }
  return out;
}

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string assembly_source(const stdfs::path& pack, std::size_t size, std::uint64_t hash) {
  const std::string path = stdfs::absolute(pack).string();
  if (path.find_first_of("\"\\\n") != std::string::npos)
    throw kf::Error("kf-crdpack: the build directory's path " + path + " holds a quote, backslash or newline");
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return "// Generated by kf-crdpack (tools/crdpack.cpp) from third_party/crds. Do not edit.\n"
         "// pack: " + std::to_string(size) + " bytes, fnv1a64 " + hex + "\n"
         "#include \"libkf/util/embedded.h\"\n\n"
         "__asm__(\".section .rodata.kf_crd_pack,\\\"a\\\",@progbits\\n\"\n"
         "        \".globl kf_crd_pack_begin\\n\"\n"
         "        \".hidden kf_crd_pack_begin\\n\"\n"
         "        \".type kf_crd_pack_begin,@object\\n\"\n"
         "        \".balign 16\\n\"\n"
         "        \"kf_crd_pack_begin:\\n\"\n"
         "        \".incbin \\\"" + path + "\\\"\\n\"\n"
         "        \".size kf_crd_pack_begin, " + std::to_string(size) + "\\n\"\n"
         "        \".previous\\n\");\n\n"
         "extern \"C\" const char kf_crd_pack_begin[];\n\n"
         "namespace kf::embedded {\n"
         "std::string_view crd_pack() { return {kf_crd_pack_begin, " + std::to_string(size) + "}; }\n"
         "} // namespace kf::embedded\n";
}

// Leaves an unchanged output alone, so a rebuilt packer recompiles nothing.
void write_if_changed(const stdfs::path& path, const std::string& content) {
  std::error_code ec;
  if (stdfs::exists(path, ec) && kf::fs::read_file(path) == content) return;
  kf::fs::write_file_atomic(path, content);
}

void run(const stdfs::path& dir, const stdfs::path& pack_out, const stdfs::path& cpp_out) {
  std::vector<stdfs::path> files;
  for (const auto& e : stdfs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  Json entries = Json::array();
  std::string body;
  for (const auto& file : files)
    for (auto& e : pack_file(file)) {
      e.index["offset"] = body.size();
      e.index["length"] = e.body.size();
      entries.push_back(std::move(e.index));
      body += e.body;
    }
  if (entries.empty()) throw kf::Error("kf-crdpack: no CustomResourceDefinition in " + dir.string());
  const std::string pack = Json{{"format", "kf-crdpack/1"}, {"entries", entries}}.dump() + "\n" + body;
  write_if_changed(pack_out, pack);
  write_if_changed(cpp_out, assembly_source(pack_out, pack.size(), fnv1a64(pack)));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: kf-crdpack CRD_DIR PACK_OUT CPP_OUT\n");
    return 2;
  }
  try {
    run(argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
