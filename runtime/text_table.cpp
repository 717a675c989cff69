// Text tables (CSV with RFC 4180 quoting, TSV, JSON lines) -> rows.
#include "runtime/text.h"

#include "runtime/error.h"

#include <algorithm>

namespace kf::trainer {
namespace {

bool has_suffix(const std::string& path, const char* ext) {
  return path.ends_with(ext) || path.ends_with(std::string(ext) + ".gz");
}

std::string where(const std::string& path, std::size_t line) { return "data: " + path + ":" + std::to_string(line); }

// Splits delimited text into records of fields (RFC 4180: a quoted field
// may hold the delimiter, newlines and "" for a quote). Each record keeps
// the line it starts on.
struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

std::vector<Record> split_delimited(const std::string& text, char sep, const std::string& path) {
  std::vector<Record> out;
  std::size_t line = 1;
  std::size_t i = 0;
  while (i < text.size()) {
    Record r;
    r.line = line;
    std::string field;
    for (;;) {
      if (i < text.size() && text[i] == '"') {
        const std::size_t opened = line;
        ++i;
        for (;;) {
          if (i >= text.size()) throw Error(where(path, opened) + ": unterminated quoted field");
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') { field += '"'; i += 2; continue; }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        // Text after the closing quote (`"a"b`) is kept, as Python's csv does.
      }
      // A quote inside an unquoted field is an ordinary character.
      while (i < text.size() && text[i] != sep && text[i] != '\n') field += text[i++];
      r.fields.push_back(std::move(field));
      field.clear();
      if (i < text.size() && text[i] == sep) { ++i; continue; }
      break;
    }
    if (i < text.size()) { ++i; ++line; } // the newline
    if (!r.fields.empty() && !r.fields.back().empty() && r.fields.back().back() == '\r') r.fields.back().pop_back();
    if (r.fields.size() == 1 && r.fields[0].empty()) continue; // blank line
    out.push_back(std::move(r));
  }
  return out;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name, const std::string& path) {
  auto it = std::find(header.begin(), header.end(), name);
  if (it != header.end()) return static_cast<std::size_t>(it - header.begin());
  std::string names;
  for (const std::string& h : header) names += (names.empty() ? "" : ", ") + h;
  throw Error("data: " + path + ": no column '" + name + "' (the header has: " + names + ")");
}

std::vector<TextRow> delimited_rows(const std::string& text, char sep, const std::string& path,
                                    const std::string& text_column, const std::string& label_column) {
  std::vector<Record> records = split_delimited(text, sep, path);
  if (records.empty()) throw Error("data: " + path + ": empty (expected a header row naming the columns)");
  const std::size_t t = column(records[0].fields, text_column, path);
  const std::size_t l = column(records[0].fields, label_column, path);
  std::vector<TextRow> rows;
  for (std::size_t k = 1; k < records.size(); ++k) {
    Record& r = records[k];
    if (r.fields.size() != records[0].fields.size())
      throw Error(where(path, r.line) + ": expected " + std::to_string(records[0].fields.size()) + " fields, got " +
                  std::to_string(r.fields.size()));
    rows.push_back({std::move(r.fields[t]), std::move(r.fields[l]), r.line});
  }
  return rows;
}

std::string json_field(const nlohmann::json& row, const std::string& name, const std::string& at) {
  auto it = row.find(name);
  if (it == row.end()) throw Error(at + ": no \"" + name + "\" field");
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer() || it->is_boolean()) return it->dump();
  throw Error(at + ": \"" + name + "\" must be a string or an integer, got " + it->type_name());
}

std::vector<TextRow> json_rows(const std::string& text, const std::string& path, const std::string& text_column,
                               const std::string& label_column) {
  std::vector<TextRow> rows;
  std::size_t line = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view raw(text.data() + pos, end - pos);
    pos = end + 1;
    ++line;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string at = where(path, line);
    nlohmann::json row = nlohmann::json::parse(raw, nullptr, false);
    if (row.is_discarded() || !row.is_object()) throw Error(at + ": not a JSON object");
    rows.push_back({json_field(row, text_column, at), json_field(row, label_column, at), line});
  }
  return rows;
}

} // namespace

std::vector<std::string> text_table_columns(std::string_view content, const std::string& path) {
  const std::string text(content);
  if (has_suffix(path, ".jsonl") || has_suffix(path, ".ndjson")) {
    std::size_t pos = 0, line = 0;
    while (pos < text.size()) {
      const std::size_t end = std::min(text.find('\n', pos), text.size());
      const std::string_view raw(text.data() + pos, end - pos);
      pos = end + 1;
      ++line;
      if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      const nlohmann::json row = nlohmann::json::parse(raw, nullptr, false);
      if (row.is_discarded() || !row.is_object()) throw Error(where(path, line) + ": not a JSON object");
      std::vector<std::string> keys;
      for (auto it = row.begin(); it != row.end(); ++it) keys.push_back(it.key());
      return keys;
    }
    return {};
  }
  std::vector<Record> records = split_delimited(text, has_suffix(path, ".tsv") ? '\t' : ',', path);
  return records.empty() ? std::vector<std::string>{} : records[0].fields;
}

std::vector<TextRow> parse_text_table(std::string_view content, const std::string& path,
                                      const std::string& text_column, const std::string& label_column) {
  const std::string text(content);
  std::vector<TextRow> rows = has_suffix(path, ".jsonl") || has_suffix(path, ".ndjson")
                                  ? json_rows(text, path, text_column, label_column)
                                  : delimited_rows(text, has_suffix(path, ".tsv") ? '\t' : ',', path, text_column,
                                                   label_column);
  if (rows.empty()) throw Error("data: " + path + ": no samples");
  return rows;
}

} // namespace kf::trainer
