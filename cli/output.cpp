#include <sstream>
#include "cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "libkf/util/yaml.h"

namespace kf::cli {

bool use_color(const Globals& g, std::FILE* stream) {
  if (g.no_color) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return ::isatty(::fileno(stream)) != 0;
}

std::string paint(bool on, const char* code, const std::string& text) {
  if (!on) return text;
  return std::string("\033[") + code + "m" + text + "\033[0m";
}

TerminalReporter::TerminalReporter(const Globals& g) : m_verbose(g.verbose), m_color(use_color(g, stderr)) {}

void TerminalReporter::info(std::string_view message) { std::cerr << message << '\n'; }

void TerminalReporter::warn(std::string_view message) {
  std::cerr << paint(m_color, "33", "warning:") << ' ' << message << '\n';
}

void TerminalReporter::debug(std::string_view message) {
  if (m_verbose > 0) std::cerr << paint(m_color, "2", "debug:") << ' ' << message << '\n';
}

void print_data(const Json& data, const std::string& format, std::ostream& out) {
  if (format == "json")
    out << data.dump(2) << '\n';
  else
    out << yaml::emit(data);
}

void print_objects(const std::vector<Json>& objects, const std::string& format) {
  if (format == "json") {
    if (objects.size() == 1) {
      std::cout << objects[0].dump(2) << '\n';
      return;
    }
    Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
    for (const auto& o : objects) list["items"].push_back(o);
    std::cout << list.dump(2) << '\n';
    return;
  }
  if (format == "table") {
    std::vector<std::vector<std::string>> rows;
    for (const auto& o : objects) {
      const Json meta = o.value("metadata", Json::object());
      rows.push_back({o.value("apiVersion", ""), o.value("kind", ""), meta.value("name", ""), meta.value("namespace", "")});
    }
    print_table({"APIVERSION", "KIND", "NAME", "NAMESPACE"}, rows);
    return;
  }
  std::vector<Json> docs(objects.begin(), objects.end());
  std::cout << yaml::emit_all(docs);
}

// The columns a cell takes on a terminal: colour escapes take none, a UTF-8
// character (argo get's ✔ ✖ ○) one.
std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string percent(double share) { return fixed(100.0 * share, 1) + "%"; }

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 std::ostream& os) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - display_width(cells[i]) + 3, ' ');
    }
    os << out << '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string read_stdin_if(const std::vector<std::string>& files) {
  for (const auto& f : files)
    if (f == "-") {
      std::ostringstream text;
      text << std::cin.rdbuf();
      return text.str();
    }
  return "";
}

} // namespace kf::cli
