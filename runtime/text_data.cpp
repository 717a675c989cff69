// Text table files -> rows (text_table.cpp) -> datasets of token ids.
#include "runtime/data.h"

#include "runtime/error.h"

#include <algorithm>
#include <map>
#include <set>

namespace kf::trainer {
namespace {

std::string where(const std::string& path, std::size_t line) { return "data: " + path + ":" + std::to_string(line); }

Dataset encode_rows(const std::vector<TextRow>& rows, const TextEncoder& encoder,
                    const std::map<std::string, std::size_t>& classes, const std::string& origin) {
  Dataset d;
  d.sample_shape = {encoder.features()};
  d.images.resize(rows.size() * encoder.features());
  d.labels.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto it = classes.find(rows[i].label);
    if (it == classes.end())
      throw Error(where(origin, rows[i].line) + ": label '" + rows[i].label + "' is not one of the model's " +
                  std::to_string(classes.size()) + " classes");
    d.labels[i] = static_cast<std::uint8_t>(it->second);
    encoder.encode(rows[i].text, d.images.data() + i * encoder.features());
  }
  return d;
}

} // namespace

std::vector<TextRow> read_text_rows(const std::string& path, const std::string& text_column,
                                    const std::string& label_column) {
  return parse_text_table(read_data_file(path), path, text_column, label_column);
}

DataSplit text_split(std::vector<TextRow> train, std::vector<TextRow> test, const DataOptions& o,
                     const std::string& test_origin, const TextModel* fixed) {
  std::vector<std::string> names;
  std::shared_ptr<const TextEncoder> encoder;
  if (fixed != nullptr) {
    names = fixed->labels;
    encoder = fixed->encoder;
  } else {
    std::set<std::string> seen;
    for (const auto* rows : {&train, &test})
      for (const TextRow& r : *rows) seen.insert(r.label);
    names.assign(seen.begin(), seen.end());
    if (names.size() > 256)
      throw Error("data: " + std::to_string(names.size()) + " distinct labels; kf-trainer takes at most 256 classes");
    if (!o.vocab_file.empty()) {
      encoder = std::make_shared<TextEncoder>(Vocabulary::read(o.vocab_file), o.text);
    } else {
      std::vector<std::vector<std::string>> words;
      words.reserve(train.size());
      for (const TextRow& r : train) words.push_back(basic_tokenize(r.text, o.text.basic));
      encoder = std::make_shared<TextEncoder>(build_vocabulary(words, o.vocab), o.text);
    }
  }
  std::map<std::string, std::size_t> classes;
  for (std::size_t i = 0; i < names.size(); ++i) classes[names[i]] = i;
  DataSplit split;
  split.train = encode_rows(train, *encoder, classes, o.source);
  split.test = encode_rows(test, *encoder, classes, test_origin);
  for (Dataset* d : {&split.train, &split.test}) {
    d->classes = std::max<std::size_t>(names.size(), 2);
    d->label_names = names;
    d->text = encoder;
  }
  return split;
}

} // namespace kf::trainer
