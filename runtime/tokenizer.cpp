// BERT's BasicTokenizer and WordPiece over utf8proc; vocab.txt; building a
// vocabulary from training text.
#include "runtime/tokenizer.h"

#include "runtime/error.h"
#include "runtime/safetensors.h"

#include <utf8proc.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace kf::trainer {
namespace {

constexpr std::size_t k_max_word_chars = 100; // BERT's max_input_chars_per_word
const char* const k_specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

// Decodes one code point at s[i]; invalid bytes give U+FFFD and advance one byte.
utf8proc_int32_t next_cp(std::string_view s, std::size_t& i) {
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                  static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
  if (n <= 0) {
    ++i;
    return 0xFFFD;
  }
  i += static_cast<std::size_t>(n);
  return cp;
}

void append_cp(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

bool is_whitespace(utf8proc_int32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool is_control(utf8proc_int32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO:
  case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CN:
    return true;
  default:
    return false;
  }
}

// BERT counts all non-alphanumeric ASCII as punctuation ("$", "^", "`").
bool is_punctuation(utf8proc_int32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  switch (utf8proc_category(cp)) {
  case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
  case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
    return true;
  default:
    return false;
  }
}

// The CJK Unified Ideographs blocks BERT spaces out (not Hiragana, Katakana or Hangul).
bool is_cjk(utf8proc_int32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Lower-casing and accent stripping of one code point, appended to `word`.
void normalise_into(std::string& word, utf8proc_int32_t cp, const BasicTokenizerOptions& o) {
  if (o.lower_case) cp = utf8proc_tolower(cp);
  if (!o.strip_accents) return append_cp(word, cp);
  utf8proc_int32_t parts[8];
  int boundclass = 0;
  const auto n = utf8proc_decompose_char(cp, parts, 8, UTF8PROC_DECOMPOSE, &boundclass);
  if (n <= 0 || n > 8) return append_cp(word, cp);
  for (utf8proc_ssize_t k = 0; k < n; ++k)
    if (utf8proc_category(parts[k]) != UTF8PROC_CATEGORY_MN) append_cp(word, parts[k]);
}

} // namespace

std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t from = i;
    next_cp(s, i);
    out.push_back(s.substr(from, i - from));
  }
  return out;
}

std::vector<std::string> basic_tokenize(std::string_view text, const BasicTokenizerOptions& o) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const utf8proc_int32_t cp = next_cp(text, i);
    if (cp == 0 || cp == 0xFFFD || is_control(cp)) continue;
    if (is_whitespace(cp)) {
      flush();
    } else if (is_cjk(cp) || is_punctuation(cp)) {
      flush();
      append_cp(word, cp);
      flush();
    } else {
      const std::size_t before = word.size();
      normalise_into(word, cp, o);
      // A mark left alone by stripping (a lone combining accent) vanishes;
      // punctuation produced by lower-casing or decomposition still splits.
      if (word.size() > before) {
        std::size_t j = before;
        const utf8proc_int32_t first = next_cp(word, j);
        if (j == word.size() && is_punctuation(first)) {
          std::string mark = word.substr(before);
          word.resize(before);
          flush();
          out.push_back(std::move(mark));
        }
      }
    }
  }
  flush();
  return out;
}

Vocabulary::Vocabulary(std::vector<std::string> tokens, const std::string& origin) : m_tokens(std::move(tokens)) {
  if (m_tokens.empty() || m_tokens[0] != "[PAD]")
    throw Error(origin + ": [PAD] must be the first token (id 0), as in BERT's vocabularies");
  for (std::size_t i = 0; i < m_tokens.size(); ++i)
    if (!m_index.emplace(m_tokens[i], static_cast<std::int32_t>(i)).second)
      throw Error(origin + ":" + std::to_string(i + 1) + ": token '" + m_tokens[i] + "' appears twice");
  const auto unk = find("[UNK]");
  if (!unk) throw Error(origin + ": no [UNK] token");
  m_unk = *unk;
}

Vocabulary Vocabulary::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read vocabulary " + path);
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(line);
  }
  while (!tokens.empty() && tokens.back().empty()) tokens.pop_back();
  return Vocabulary(std::move(tokens), path);
}

void Vocabulary::write(const std::string& path) const {
  std::string text;
  for (const std::string& t : m_tokens) text += t + "\n";
  write_file_atomic(path, text);
}

std::optional<std::int32_t> Vocabulary::find(std::string_view token) const {
  auto it = m_index.find(std::string(token));
  if (it == m_index.end()) return std::nullopt;
  return it->second;
}

void wordpiece(const Vocabulary& vocab, std::string_view word, std::vector<std::int32_t>& out) {
  const std::vector<std::string_view> chars = utf8_chars(word);
  if (chars.size() > k_max_word_chars) {
    out.push_back(vocab.unk());
    return;
  }
  const std::size_t mark = out.size();
  std::string piece;
  for (std::size_t start = 0; start < chars.size();) {
    std::optional<std::int32_t> id;
    std::size_t end = chars.size();
    for (; end > start; --end) {
      piece = start > 0 ? "##" : "";
      const std::size_t from = static_cast<std::size_t>(chars[start].data() - word.data());
      const std::size_t to = static_cast<std::size_t>(chars[end - 1].data() - word.data()) + chars[end - 1].size();
      piece.append(word.substr(from, to - from));
      if ((id = vocab.find(piece))) break;
    }
    if (!id) {
      out.resize(mark);
      out.push_back(vocab.unk());
      return;
    }
    out.push_back(*id);
    start = end;
  }
}

std::vector<std::string> wordpiece_tokens(const Vocabulary& vocab, std::string_view word) {
  std::vector<std::int32_t> ids;
  wordpiece(vocab, word, ids);
  std::vector<std::string> out;
  for (std::int32_t id : ids) out.push_back(vocab.tokens()[static_cast<std::size_t>(id)]);
  return out;
}

Vocabulary build_vocabulary(const std::vector<std::vector<std::string>>& texts, const VocabularyOptions& o) {
  std::map<std::string, std::size_t> words;
  for (const auto& text : texts)
    for (const std::string& w : text) ++words[w];
  std::map<std::string, std::size_t> chars, pieces;
  for (const auto& entry : words) {
    const std::string& w = entry.first;
    const std::size_t count = entry.second;
    const std::vector<std::string_view> cs = utf8_chars(w);
    for (std::size_t k = 0; k < cs.size(); ++k) chars[(k > 0 ? "##" : "") + std::string(cs[k])] += count;
    if (count >= o.min_count) continue;
    // A rare word lends its prefixes and "##" suffixes (two or more characters).
    const auto at = [&](std::size_t k) { return static_cast<std::size_t>(cs[k].data() - w.data()); };
    for (std::size_t k = 2; k < cs.size(); ++k) pieces[w.substr(0, at(k))] += count;
    for (std::size_t k = 1; k + 1 < cs.size(); ++k) pieces["##" + w.substr(at(k))] += count;
  }
  using Entry = std::pair<std::size_t, std::string>;
  auto ranked = [&](const std::map<std::string, std::size_t>& m, std::size_t min) {
    std::vector<Entry> v;
    for (const auto& [s, c] : m)
      if (c >= min) v.emplace_back(c, s);
    std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.first > b.first; });
    return v;
  };
  std::vector<std::string> tokens(std::begin(k_specials), std::end(k_specials));
  std::map<std::string, bool> have;
  for (const std::string& t : tokens) have[t] = true;
  auto add = [&](const std::vector<Entry>& v) {
    for (const auto& e : v) {
      if (tokens.size() >= o.max_size) return;
      if (have.emplace(e.second, true).second) tokens.push_back(e.second);
    }
  };
  // Characters always go in (so no word of the training text is [UNK]).
  for (const auto& e : ranked(chars, 1))
    if (have.emplace(e.second, true).second) tokens.push_back(e.second);
  add(ranked(words, o.min_count));
  add(ranked(pieces, o.min_count));
  return Vocabulary(std::move(tokens), "built vocabulary");
}

} // namespace kf::trainer
