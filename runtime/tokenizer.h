#pragma once
// BERT's tokenizer: the BasicTokenizer rules (drop control characters and
// U+FFFD, space around CJK ideographs, split on whitespace, lower-case,
// strip accents by NFD, split off every punctuation character) and
// WordPiece (greedy longest match first, "##" marks a continuation, a word
// longer than 100 code points or with no match is [UNK]), as in
// google-research/bert tokenization.py and Hugging Face's BertTokenizer.
// Unicode comes from utf8proc (categories, case, canonical decomposition);
// invalid UTF-8 bytes count as U+FFFD and are dropped.
//
// A Vocabulary is BERT's vocab.txt: one token per line, the line number is
// the id. kf requires [PAD] at id 0 (as BERT's vocabularies have it) since
// its models treat id 0 as padding, and an [UNK]. build_vocabulary() makes
// one from training text when no vocab.txt is given.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kf::trainer {

struct BasicTokenizerOptions {
  bool lower_case = true;
  bool strip_accents = true; // BERT strips accents when it lower-cases
};

// The words and punctuation marks of `text`, normalised as BERT does.
std::vector<std::string> basic_tokenize(std::string_view text, const BasicTokenizerOptions& options);

class Vocabulary {
public:
  static constexpr std::int32_t k_pad = 0;

  Vocabulary() = default;
  // From tokens in id order; throws Error when [PAD] is not first, [UNK] is
  // missing or a token repeats (`origin` names the source in messages).
  Vocabulary(std::vector<std::string> tokens, const std::string& origin);

  static Vocabulary read(const std::string& path); // vocab.txt
  void write(const std::string& path) const;        // atomically

  std::size_t size() const { return m_tokens.size(); }
  const std::vector<std::string>& tokens() const { return m_tokens; }
  std::optional<std::int32_t> find(std::string_view token) const;
  std::int32_t unk() const { return m_unk; }
  std::optional<std::int32_t> cls() const { return find("[CLS]"); }

private:
  std::vector<std::string> m_tokens;
  std::unordered_map<std::string, std::int32_t> m_index;
  std::int32_t m_unk = 1;
};

// WordPiece ids of one basic token, appended to `out`.
void wordpiece(const Vocabulary& vocab, std::string_view word, std::vector<std::int32_t>& out);
// The same as strings (tests, `kf-trainer --tokenize`).
std::vector<std::string> wordpiece_tokens(const Vocabulary& vocab, std::string_view word);

struct VocabularyOptions {
  std::size_t max_size = 8000; // including the special tokens
  std::size_t min_count = 2;   // a word or piece seen fewer times is left out
};

// A WordPiece vocabulary for `texts` (basic tokens of each text): the
// special tokens, every character seen (alone and as a "##" continuation,
// so no word is [UNK]), then words and word pieces (prefixes, "##"
// suffixes) by descending frequency, ties in byte order, up to max_size.
Vocabulary build_vocabulary(const std::vector<std::vector<std::string>>& texts, const VocabularyOptions& options);

// The code points of a UTF-8 string as UTF-8 substrings (one per code point).
std::vector<std::string_view> utf8_chars(std::string_view s);

} // namespace kf::trainer
