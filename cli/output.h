#pragma once
// Printers (table | json | yaml) and the terminal Reporter. Everything kf
// prints to stdout goes through here; messages go to stderr.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "libkf/action/context.h"
#include "libkf/util/json.h"

namespace kf::cli {

// Colour only on a terminal, and never with --no-color or NO_COLOR set.
bool use_color(const Globals& g, std::FILE* stream);

// Paints `text` (e.g. "31" red, "33" yellow, "1" bold) when `on`.
std::string paint(bool on, const char* code, const std::string& text);

class TerminalReporter final : public action::Reporter {
public:
  explicit TerminalReporter(const Globals& g);
  void info(std::string_view message) override;
  void warn(std::string_view message) override;
  void debug(std::string_view message) override;

private:
  int m_verbose;
  bool m_color;
};

// Kubernetes objects: yaml (documents separated by ---), json (the object,
// or a v1 List of them, as kubectl prints), or a table of KIND NAME NAMESPACE.
void print_objects(const std::vector<Json>& objects, const std::string& format);

// Any JSON data as json or yaml.
void print_data(const Json& data, const std::string& format, std::ostream& out = std::cout);

// Left-aligned columns separated by three spaces, like kubectl get.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                 std::ostream& out = std::cout);

// v with `digits` decimals ("%.*f"); a share 0..1 as a percentage with one ("93.1%").
std::string fixed(double v, int digits);
std::string percent(double share);

// The text of stdin when `files` (-f values) has "-"; else "".
std::string read_stdin_if(const std::vector<std::string>& files);

} // namespace kf::cli
