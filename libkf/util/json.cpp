// kf::json::parse: nlohmann's SAX parser, with each object's members
// collected before the object is built (see json.h for why).

#include "libkf/util/json.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kf::json {
namespace {

// Objects with more members than this find repeated keys through a hash
// index; smaller ones by a linear scan, as ordered_map itself does.
constexpr std::size_t k_linear_keys = 16;

Json make_object(std::vector<std::pair<std::string, Json>>& members) {
  Json j(Json::value_t::object);
  auto& o = j.get_ref<Json::object_t&>();
  o.reserve(members.size());
  if (members.size() <= k_linear_keys) {
    for (auto& m : members) {
      const auto it = std::find_if(o.begin(), o.end(), [&](const auto& e) { return e.first == m.first; });
      if (it != o.end())
        it->second = std::move(m.second);
      else
        o.emplace_back(std::move(m.first), std::move(m.second));
    }
    return j;
  }
  // Views of the keys as stored in `o`, which never reallocates (reserved).
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(members.size());
  for (auto& [key, value] : members) {
    if (const auto it = index.find(key); it != index.end()) {
      (o.begin() + static_cast<std::ptrdiff_t>(it->second))->second = std::move(value);
      continue;
    }
    o.emplace_back(std::move(key), std::move(value));
    index.emplace(o.back().first, o.size() - 1);
  }
  return j;
}

class Builder final : public nlohmann::json_sax<Json> {
public:
  Json take() { return std::move(m_root); }

  bool null() override { return put(nullptr); }
  bool boolean(bool b) override { return put(b); }
  bool number_integer(std::int64_t n) override { return put(n); }
  bool number_unsigned(std::uint64_t n) override { return put(n); }
  bool number_float(double d, const std::string&) override { return put(d); }
  bool string(std::string& s) override { return put(std::move(s)); }
  bool binary(Json::binary_t& b) override { return put(Json::binary(std::move(b))); }

  bool start_object(std::size_t) override {
    m_stack.emplace_back();
    m_stack.back().is_object = true;
    return true;
  }
  bool key(std::string& k) override {
    m_stack.back().key = std::move(k);
    return true;
  }
  bool end_object() override {
    Json j = make_object(m_stack.back().members);
    m_stack.pop_back();
    return put(std::move(j));
  }
  bool start_array(std::size_t) override {
    m_stack.emplace_back();
    return true;
  }
  bool end_array() override {
    Json j(Json::value_t::array);
    j.get_ref<Json::array_t&>() = std::move(m_stack.back().items);
    m_stack.pop_back();
    return put(std::move(j));
  }
  // The caller parses again with Json::parse to throw its exact exception.
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

private:
  struct Frame {
    bool is_object = false;
    std::string key; // the key whose value comes next
    std::vector<std::pair<std::string, Json>> members;
    std::vector<Json> items;
  };

  bool put(Json&& v) {
    if (m_stack.empty()) {
      m_root = std::move(v);
    } else if (Frame& f = m_stack.back(); f.is_object) {
      f.members.emplace_back(std::move(f.key), std::move(v));
    } else {
      f.items.push_back(std::move(v));
    }
    return true;
  }

  Json m_root;
  std::vector<Frame> m_stack;
};

} // namespace

Json parse(std::string_view text) {
  Builder b;
  if (Json::sax_parse(text, &b)) return b.take();
  return Json::parse(text); // throws what nlohmann says about the input
}

Json parse_or_discarded(std::string_view text) {
  Builder b;
  if (Json::sax_parse(text, &b)) return b.take();
  return Json(Json::value_t::discarded);
}

std::string arg_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    std::ostringstream ss;
    ss.precision(15);
    ss << v.get<double>();
    return ss.str();
  }
  return v.dump();
}

} // namespace kf::json
