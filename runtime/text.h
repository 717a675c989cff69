#pragma once
// TextEncoder: what one text becomes for kf-trainer's text models, the same
// in training, `--evaluate` and kf-server. A sample is a row of token ids
// stored as floats (exact below 2^24):
//   [max_length slots]  [CLS] (when the vocabulary has it) then the
//                       WordPiece ids of the basic tokens, truncated,
//                       padded with 0 ([PAD]);
//   [hash_slots slots]  only when hash_buckets > 0 (the embedding-bag
//                       model, as fastText): hashed word bigrams and
//                       character n-grams of "<word>" (FNV-1a), each id
//                       vocab.size() + hash % hash_buckets, padded with 0.
// Id 0 is padding everywhere, so a model's mask is id != 0.
// The settings and label names travel in model.json ("text"), the
// vocabulary in vocab.txt beside it.

#include "runtime/tokenizer.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kf::trainer {

struct TextSettings {
  BasicTokenizerOptions basic;
  std::size_t max_length = 64;   // --max-length: token slots, [CLS] included
  std::size_t hash_buckets = 0;  // --hash-buckets: rows for hashed features (0 = none)
  std::size_t hash_slots = 0;    // hashed features kept per sample
  std::size_t char_ngram_min = 3;
  std::size_t char_ngram_max = 5;
};

// kf-trainer's defaults: 2^16 hash buckets and 192 hashed features per
// text (used only by the embedding-bag model).
inline TextSettings trainer_text_defaults() {
  TextSettings s;
  s.hash_buckets = 65536;
  s.hash_slots = 192;
  return s;
}

class TextEncoder {
public:
  TextEncoder(Vocabulary vocab, TextSettings settings); // throws UsageError on bad settings

  const Vocabulary& vocabulary() const { return m_vocab; }
  const TextSettings& settings() const { return m_settings; }
  std::size_t features() const { return m_settings.max_length + m_settings.hash_slots; }
  // Rows an embedding table needs: the vocabulary and the hash buckets.
  std::size_t rows() const { return m_vocab.size() + m_settings.hash_buckets; }

  // Writes features() ids of `text` to out.
  void encode(std::string_view text, float* out) const;
  // The WordPiece tokens of `text` as strings ([CLS] first when used).
  std::vector<std::string> tokens(std::string_view text) const;

  // model.json's "text" object (without labels); the vocabulary goes to vocab.txt.
  nlohmann::json to_json() const;
  // From model.json's "text" object and the vocab.txt in `dir`.
  static TextEncoder load(const nlohmann::json& text, const std::string& dir);

private:
  Vocabulary m_vocab;
  TextSettings m_settings;
};

// One row of a text table.
struct TextRow {
  std::string text;
  std::string label;
  std::size_t line = 0; // where the row starts, for messages
};

// The rows of a text table; the format follows `path`'s suffix: .jsonl or
// .ndjson (an object per line), .tsv, else CSV (RFC 4180 quoting: a quoted
// field may hold commas, newlines and "" for a quote). CSV and TSV start
// with a header row naming the columns. Throws Error "data: PATH:LINE: ...".
std::vector<TextRow> parse_text_table(std::string_view content, const std::string& path,
                                      const std::string& text_column, const std::string& label_column);

// The column names of a text table (parse_text_table's formats): the header
// of a CSV or TSV, the keys of a JSON-lines table's first object. Throws Error.
std::vector<std::string> text_table_columns(std::string_view content, const std::string& path);

// A text model's encoding and classes (what an export carries).
struct TextModel {
  std::shared_ptr<const TextEncoder> encoder;
  std::vector<std::string> labels; // class id -> name
};

} // namespace kf::trainer
