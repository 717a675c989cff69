#include "libkf/platform/index.h"

#include <algorithm>
#include <functional>
#include <map>

#include "libkf/spec/fields.h"
#include "libkf/util/embedded.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::platform {

namespace {

const std::vector<std::string> k_renderers = {"kustomize", "yaml"};

Component decode_component(spec::Diagnostics& diag, const yaml::Node& node, const std::string& path) {
  spec::Fields f(diag, &node, path);
  Component c;
  c.loc = node.loc;
  c.name = f.required_string("name");
  c.git = f.required_string("git");
  c.ref = f.required_string("ref");
  c.path = f.string("path", ".");
  c.render = f.string("render", "kustomize", k_renderers);
  c.requires_ = f.strings("requires");
  c.provides = f.strings("provides");
  return c;
}

} // namespace

const Component* Index::find(std::string_view name) const {
  for (const auto& c : components)
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<std::string> Index::names() const {
  std::vector<std::string> out;
  for (const auto& c : components) out.push_back(c.name);
  return out;
}

Index parse_index(std::string_view text, const std::string& file) { return read_index(yaml::parse(text, file)); }

Index read_index(const yaml::Node& root) {
  spec::Diagnostics diag;
  Index index;
  {
    spec::Fields top(diag, &root, "");
    const yaml::Node* list = top.child("components");
    if (!list || !list->is_seq()) diag.error(list ? list->loc : root.loc, "components", "expected a list of components");
    else
      for (std::size_t i = 0; i < list->items.size(); ++i)
        index.components.push_back(decode_component(diag, list->items[i], "components[" + std::to_string(i) + "]"));
  }
  diag.throw_if_any();
  const auto names = index.names();
  for (std::size_t i = 0; i < index.components.size(); ++i) {
    const auto& c = index.components[i];
    const std::string path = "components[" + std::to_string(i) + "]";
    if (std::count(names.begin(), names.end(), c.name) > 1 && index.find(c.name) != &c)
      diag.error(c.loc, path + ".name", "duplicate component " + str::quote(c.name));
    for (const auto& r : c.requires_)
      if (!index.find(r))
        diag.error(c.loc, path + ".requires", "unknown component " + str::quote(r) + str::did_you_mean(r, names));
  }
  diag.throw_if_any();
  return index;
}

const Index& builtin_index() {
  static const Index k_index = [] {
    const auto root = embedded::parsed("manifests/components.yaml");
    if (!root) throw Error("kf was built without manifests/components.yaml");
    return read_index(*root);
  }();
  return k_index;
}

std::vector<Selected> select(const Index& index, const spec::PlatformSpec& platform, const std::string& source_ref) {
  spec::Diagnostics diag;
  const auto names = index.names();
  std::map<std::string, const spec::ComponentSpec*> wanted;
  for (std::size_t i = 0; i < platform.components.size(); ++i) {
    const auto& c = platform.components[i];
    if (!index.find(c.name))
      diag.error(c.loc, "spec.platform.components[" + std::to_string(i) + "].name",
                 "unknown component " + str::quote(c.name) + str::did_you_mean(c.name, names) + "; known: " +
                     str::join(names, ", "));
    wanted.emplace(c.name, &c);
  }
  diag.throw_if_any();

  std::vector<Selected> out;
  std::map<std::string, int> state; // 1 = being visited, 2 = done
  std::function<void(const std::string&, const std::vector<std::string>&)> visit =
      [&](const std::string& name, const std::vector<std::string>& chain) {
        if (state[name] == 2) return;
        if (state[name] == 1)
          throw SpecError(index.find(name)->loc.str() + ": components require each other in a cycle: " +
                          str::join(chain, " -> ") + " -> " + name);
        state[name] = 1;
        const Component& c = *index.find(name);
        auto next = chain;
        next.push_back(name);
        for (const auto& r : c.requires_) visit(r, next);
        state[name] = 2;
        const auto it = wanted.find(name);
        Selected s{c, c.ref, it == wanted.end()};
        if (!source_ref.empty()) s.ref = source_ref;
        if (it != wanted.end() && !it->second->version.empty()) s.ref = it->second->version;
        out.push_back(std::move(s));
      };
  for (const auto& c : platform.components) visit(c.name, {});
  return out;
}

} // namespace kf::platform
