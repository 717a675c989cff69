// The validator: walks an object and its schema side by side and reports
// violations in the apiserver's words. Rules and deliberate gaps are listed
// in schema.h; x-kubernetes-validations (CEL) and `format` are ignored.

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libkf/render/schema_internal.h"
#include "libkf/util/strings.h"

namespace kf::render::detail {
namespace {

constexpr int k_max_depth = 256; // $ref chains and nesting; deeper input is not checked

enum class Mode {
  Structural, // fields outside the schema are unknown
  ValueOnly,  // anyOf/oneOf/allOf/not branches and root metadata: no unknown-field checks
};

class Validator {
public:
  Validator(const RootSchema& root, const std::string& object, std::vector<Violation>& out)
      : m_root(root), m_object(object), m_out(&out),
        m_quantity(root.definitions ? member(*root.definitions, "io.k8s.apimachinery.pkg.api.resource.Quantity") : nullptr) {}

  void check(const Json& v, const Json& schema, const std::string& path, Mode mode, int depth) {
    const Json* sp = resolve(schema, depth);
    if (!sp || depth > k_max_depth) return;
    const Json& s = *sp;
    if (v.is_null()) {
      if (!flag(s, "nullable") && (int_or_string(s) || !effective_type(s).empty()))
        report(path, "Invalid value: \"null\": must be of type " + type_of(s));
      return;
    }
    if (int_or_string(s)) {
      if (!is_integer(v) && !v.is_string()) return report(path, invalid_type(v, "integer or string"));
    } else if (const auto t = effective_type(s); !t.empty() && !matches_type(v, t)) {
      return report(path, invalid_type(v, t));
    }
    if (const Json* e = member(s, "enum"); e && e->is_array()) check_enum(v, *e, path);
    if (v.is_number()) check_number(v, s, path);
    if (v.is_string()) check_string(v.get_ref<const std::string&>(), s, path);
    if (v.is_array()) check_array(v, s, path, mode, depth);
    if (v.is_object()) check_object(v, s, path, mode, depth);
    check_combinators(v, s, path, depth);
  }

private:
  // Follows "#/definitions/NAME" refs; nullptr when one cannot be resolved
  // (Katib's swagger points at k8s core types it does not define): accept.
  const Json* resolve(const Json& schema, int& depth) const {
    const Json* s = &schema;
    while (s->is_object()) {
      const Json* ref = member(*s, "$ref");
      if (!ref) return s;
      if (!ref->is_string() || !m_root.definitions || ++depth > k_max_depth) return nullptr;
      const std::string& target = ref->get_ref<const std::string&>();
      const std::string prefix = "#/definitions/";
      if (!target.starts_with(prefix)) return nullptr;
      s = member(*m_root.definitions, target.substr(prefix.size()).c_str());
      if (!s) return nullptr;
    }
    return nullptr; // `true` or another non-object schema: anything goes
  }

  bool nullable(const Json& schema, int depth) const {
    const Json* s = resolve(schema, depth);
    return !s || flag(*s, "nullable");
  }
  bool has_default(const Json& schema, int depth) const {
    const Json* s = resolve(schema, depth);
    return s && s->contains("default");
  }

  // An integer or a string: a CRD's x-kubernetes-int-or-string, and in the
  // Kubernetes swagger document IntOrString (format int-or-string) and
  // Quantity (declared a string, but the API server also takes a number).
  bool int_or_string(const Json& s) const {
    if (flag(s, "x-kubernetes-int-or-string") || &s == m_quantity) return true;
    const Json* format = member(s, "format");
    return format && format->is_string() && format->get_ref<const std::string&>() == "int-or-string";
  }
  std::string type_of(const Json& s) const { return int_or_string(s) ? "integer or string" : effective_type(s); }
  static std::string invalid_type(const Json& v, const std::string& want) {
    return "Invalid value: " + str::quote(type_name(v)) + ": must be of type " + want;
  }

  void report(const std::string& path, std::string rule) { m_out->push_back({m_object, path, std::move(rule)}); }

  void check_enum(const Json& v, const Json& values, const std::string& path) {
    for (const auto& allowed : values)
      if (allowed == v) return;
    std::string list;
    for (const auto& allowed : values) list += (list.empty() ? "" : ", ") + show(allowed);
    report(path, "Unsupported value: " + show(v) + ": supported values: " + list);
  }

  void check_number(const Json& v, const Json& s, const std::string& path) {
    const double x = v.get<double>();
    auto bound = [&](const char* key, const char* exclusive_key, bool lower) {
      const Json* b = member(s, key);
      const Json* ex = member(s, exclusive_key);
      bool exclusive = ex && ex->is_boolean() && ex->get<bool>();
      if (ex && ex->is_number()) { // OpenAPI 3.1 style: the exclusive bound itself
        b = ex;
        exclusive = true;
      }
      if (!b || !b->is_number()) return;
      const double limit = b->get<double>();
      const bool bad = lower ? (exclusive ? x <= limit : x < limit) : (exclusive ? x >= limit : x > limit);
      if (!bad) return;
      const std::string cmp = std::string(lower ? "greater than" : "less than") + (exclusive ? " " : " or equal to ");
      report(path, "Invalid value: " + show(v) + ": should be " + cmp + b->dump());
    };
    bound("minimum", "exclusiveMinimum", true);
    bound("maximum", "exclusiveMaximum", false);
    if (const Json* m = member(s, "multipleOf"); m && m->is_number() && m->get<double>() > 0) {
      const double q = x / m->get<double>();
      if (std::fabs(q - std::round(q)) > 1e-9)
        report(path, "Invalid value: " + show(v) + ": should be a multiple of " + m->dump());
    }
  }

  void check_string(const std::string& v, const Json& s, const std::string& path) {
    const std::size_t len = utf8_length(v);
    if (const auto m = count_of(s, "minLength"); m && len < *m)
      report(path, "Invalid value: " + show(v) + ": should be at least " + std::to_string(*m) + " chars long");
    if (const auto m = count_of(s, "maxLength"); m && len > *m)
      report(path, "Too long: may not be longer than " + std::to_string(*m));
    if (const Json* p = member(s, "pattern"); p && p->is_string()) {
      if (pattern_matches(p->get<std::string>(), v) == false)
        report(path, "Invalid value: " + show(v) + ": should match '" + p->get<std::string>() + "'");
    }
  }

  void check_array(const Json& v, const Json& s, const std::string& path, Mode mode, int depth) {
    if (const auto m = count_of(s, "minItems"); m && v.size() < *m)
      report(path, "Invalid value: " + std::to_string(v.size()) + ": should have at least " + std::to_string(*m) +
                       " items");
    if (const auto m = count_of(s, "maxItems"); m && v.size() > *m)
      report(path, "Too many: " + std::to_string(v.size()) + ": must have at most " + std::to_string(*m) + " items");
    if (const Json* items = member(s, "items"); items && items->is_object())
      for (std::size_t i = 0; i < v.size(); ++i)
        check(v[i], *items, path + "[" + std::to_string(i) + "]", mode, depth + 1);
    check_list_type(v, s, path);
  }

  // x-kubernetes-list-type: set (unique items) and map (unique key tuples).
  void check_list_type(const Json& v, const Json& s, const std::string& path) {
    const Json* type = member(s, "x-kubernetes-list-type");
    if (!type || !type->is_string()) return;
    const Json* keys = member(s, "x-kubernetes-list-map-keys");
    const bool is_map = *type == "map" && keys && keys->is_array();
    if (*type != "set" && !is_map) return;
    std::vector<Json> seen;
    for (std::size_t i = 0; i < v.size(); ++i) {
      Json id = v[i];
      if (is_map) {
        if (!v[i].is_object()) continue;
        id = Json::object();
        for (const auto& k : *keys)
          if (k.is_string() && v[i].contains(k.get<std::string>()))
            id[k.get<std::string>()] = v[i][k.get<std::string>()];
      }
      if (std::find(seen.begin(), seen.end(), id) != seen.end())
        report(path + "[" + std::to_string(i) + "]", "Duplicate value: " + (is_map ? id.dump() : show(id)));
      else
        seen.push_back(std::move(id));
    }
  }

  void check_object(const Json& v, const Json& s, const std::string& path, Mode mode, int depth) {
    const bool root = path.empty() && mode == Mode::Structural; // the object itself, not an anyOf branch of it
    if (const auto m = count_of(s, "minProperties"); m && v.size() < *m)
      report(path, "Invalid value: " + std::to_string(v.size()) + ": should have at least " + std::to_string(*m) +
                       " properties");
    if (const auto m = count_of(s, "maxProperties"); m && v.size() > *m)
      report(path, "Too many: " + std::to_string(v.size()) + ": must have at most " + std::to_string(*m) +
                       " properties");
    const Json* props = member(s, "properties");
    if (props && !props->is_object()) props = nullptr;
    if (const Json* req = member(s, "required"); req && req->is_array()) {
      for (const auto& r : *req) {
        // The object's metadata is checked as ObjectMeta below; a default fills a missing field.
        if (!r.is_string() || (root && r == "metadata")) continue;
        const auto it = v.find(r.get<std::string>());
        const Json* ps = props ? member(*props, r.get_ref<const std::string&>().c_str()) : nullptr;
        if (ps && has_default(*ps, depth)) continue;
        if (it == v.end() || (it->is_null() && !(ps && nullable(*ps, depth))))
          report(child(path, r.get<std::string>()), "Required value");
      }
    }
    const bool embedded = flag(s, "x-kubernetes-embedded-resource");
    if (embedded && mode == Mode::Structural) check_embedded(v, path);
    if (root) check_metadata(v, props, depth);
    const Json* extra = member(s, "additionalProperties");
    for (const auto& [key, value] : v.items()) {
      const Json* ps = props ? member(*props, key.c_str()) : nullptr;
      if (root && (key == "metadata" || (!ps && (key == "apiVersion" || key == "kind")))) continue;
      if (!ps && embedded && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
      if (!ps && extra && extra->is_object()) ps = extra;
      if (ps) {
        if (!value.is_null() || nullable(*ps, depth)) check(value, *ps, child(path, key), mode, depth + 1);
        continue; // a null that is not nullable is pruned
      }
      if (mode != Mode::Structural || flag(s, "x-kubernetes-preserve-unknown-fields")) continue;
      if (extra && extra->is_boolean() && extra->get<bool>()) continue;
      if (!m_root.structural && !props && !extra) continue; // a free-form swagger map
      std::vector<std::string> names;
      if (props)
        for (const auto& [name, unused] : props->items()) names.push_back(name);
      report(child(path, key), "unknown field " + str::quote(key) + str::did_you_mean(key, names));
    }
  }

  void check_embedded(const Json& v, const std::string& path) {
    for (const char* key : {"apiVersion", "kind"}) {
      const auto it = v.find(key);
      if (it == v.end())
        report(child(path, key), "Required value");
      else if (!it->is_string())
        report(child(path, key), invalid_type(*it, "string"));
    }
    if (const auto it = v.find("metadata"); it != v.end() && !it->is_object() && !it->is_null())
      report(child(path, "metadata"), invalid_type(*it, "object"));
  }

  // The object's own metadata: the apiserver validates it as ObjectMeta
  // whatever the CRD says (usually just `type: object`).
  void check_metadata(const Json& obj, const Json* props, int depth) {
    const auto it = obj.find("metadata");
    const std::string no_name = "Required value: name or generateName is required";
    if (it == obj.end() || it->is_null()) return report("metadata.name", no_name);
    if (!it->is_object()) return report("metadata", invalid_type(*it, "object"));
    const Json& meta = *it;
    bool named = false;
    for (const char* key : {"name", "generateName", "namespace"}) {
      const auto f = meta.find(key);
      if (f == meta.end() || f->is_null()) continue;
      if (!f->is_string()) {
        report(child("metadata", key), invalid_type(*f, "string"));
        named = named || std::string(key) != "namespace";
      } else if (std::string(key) != "namespace" && !f->get_ref<const std::string&>().empty()) {
        named = true;
      }
    }
    if (!named) report("metadata.name", no_name);
    for (const char* key : {"labels", "annotations"}) {
      const auto f = meta.find(key);
      if (f == meta.end() || f->is_null()) continue;
      const std::string path = child("metadata", key);
      if (!f->is_object()) {
        report(path, invalid_type(*f, "object"));
        continue;
      }
      for (const auto& [k, value] : f->items())
        if (!value.is_string() && !value.is_null()) report(child(path, k), invalid_type(value, "string"));
    }
    if (props)
      if (const Json* ms = member(*props, "metadata")) check(meta, *ms, "metadata", Mode::ValueOnly, depth + 1);
  }

  // Runs `schema` on `v` in value-only mode, collecting instead of reporting.
  std::vector<Violation> branch(const Json& v, const Json& schema, const std::string& path, int depth) {
    std::vector<Violation> found;
    std::vector<Violation>* saved = std::exchange(m_out, &found);
    check(v, schema, path, Mode::ValueOnly, depth + 1);
    m_out = saved;
    return found;
  }

  void check_combinators(const Json& v, const Json& s, const std::string& path, int depth) {
    if (const Json* all = member(s, "allOf"); all && all->is_array())
      for (const auto& b : *all) check(v, b, path, Mode::ValueOnly, depth + 1);
    for (const char* key : {"anyOf", "oneOf"}) {
      const Json* branches = member(s, key);
      if (!branches || !branches->is_array() || branches->empty()) continue;
      std::size_t passed = 0;
      std::optional<std::vector<Violation>> best;
      for (const auto& b : *branches) {
        auto found = branch(v, b, path, depth);
        if (found.empty()) ++passed;
        else if (!best || found.size() < best->size()) best = std::move(found);
      }
      const bool any = std::string(key) == "anyOf";
      if (any ? passed > 0 : passed == 1) continue;
      report(path, "Invalid value: " + show(v) + (any ? ": must validate at least one schema (anyOf)"
                                                      : ": must validate one and only one schema (oneOf)"));
      if (passed == 0 && best) m_out->insert(m_out->end(), best->begin(), best->end());
    }
    if (const Json* n = member(s, "not"); n && n->is_object() && branch(v, *n, path, depth).empty())
      report(path, "Invalid value: " + show(v) + ": must not validate the schema (not)");
  }

  const RootSchema& m_root;
  const std::string& m_object;
  std::vector<Violation>* m_out;
  const Json* m_quantity; // the swagger definition of resource.Quantity, when the document has one
};

} // namespace

void validate_root(const RootSchema& root, const Json& obj, const std::string& object, std::vector<Violation>& out) {
  Validator(root, object, out).check(obj, *root.schema, "", Mode::Structural, 0);
}

bool is_schemaless(const Json& schema) {
  if (!schema.is_object() || !flag(schema, "x-kubernetes-preserve-unknown-fields")) return false;
  const Json* props = member(schema, "properties");
  if (!props || !props->is_object()) return true;
  for (const auto& [key, unused] : props->items())
    if (key != "apiVersion" && key != "kind" && key != "metadata") return false;
  return true;
}

} // namespace kf::render::detail
