// Texts -> rows of token ids (runtime/text.h).
#include "runtime/text.h"

#include "runtime/error.h"

#include <filesystem>

namespace kf::trainer {
namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Hashed features of the basic tokens: word bigrams, then the character
// n-grams of each "<word>", until `slots` are filled.
void hashed_features(const std::vector<std::string>& words, const TextSettings& s, std::size_t vocab,
                     float* out) {
  std::size_t used = 0;
  auto put = [&](std::uint64_t h) {
    if (used < s.hash_slots) out[used++] = static_cast<float>(vocab + h % s.hash_buckets);
  };
  for (std::size_t i = 0; i + 1 < words.size(); ++i) put(fnv1a(words[i + 1], fnv1a(" ", fnv1a(words[i]))));
  for (const std::string& w : words) {
    const std::string marked = "<" + w + ">";
    const std::vector<std::string_view> cs = utf8_chars(marked);
    for (std::size_t n = s.char_ngram_min; n <= s.char_ngram_max; ++n)
      for (std::size_t k = 0; k + n <= cs.size(); ++k) {
        const auto from = static_cast<std::size_t>(cs[k].data() - marked.data());
        const auto to = static_cast<std::size_t>(cs[k + n - 1].data() - marked.data()) + cs[k + n - 1].size();
        put(fnv1a(std::string_view(marked).substr(from, to - from), 0x84222325cbf29ce4ULL));
      }
  }
  for (; used < s.hash_slots; ++used) out[used] = 0.0f;
}

} // namespace

TextEncoder::TextEncoder(Vocabulary vocab, TextSettings settings)
    : m_vocab(std::move(vocab)), m_settings(settings) {
  if (m_settings.max_length < 2) throw UsageError("--max-length must be at least 2");
  if ((m_settings.hash_buckets == 0) != (m_settings.hash_slots == 0))
    throw UsageError("hashed features need both --hash-buckets and hash slots (got " +
                     std::to_string(m_settings.hash_buckets) + " and " + std::to_string(m_settings.hash_slots) + ")");
  if (m_settings.char_ngram_min < 1 || m_settings.char_ngram_max < m_settings.char_ngram_min)
    throw UsageError("character n-grams need 1 <= min <= max");
  if (rows() >= (1u << 24)) throw UsageError("the vocabulary and hash buckets must stay below 2^24 ids");
}

void TextEncoder::encode(std::string_view text, float* out) const {
  const std::vector<std::string> words = basic_tokenize(text, m_settings.basic);
  std::vector<std::int32_t> ids;
  if (auto cls = m_vocab.cls()) ids.push_back(*cls);
  for (const std::string& w : words) {
    if (ids.size() >= m_settings.max_length) break;
    wordpiece(m_vocab, w, ids);
  }
  for (std::size_t i = 0; i < m_settings.max_length; ++i)
    out[i] = i < ids.size() ? static_cast<float>(ids[i]) : 0.0f;
  if (m_settings.hash_slots > 0) hashed_features(words, m_settings, m_vocab.size(), out + m_settings.max_length);
}

std::vector<std::string> TextEncoder::tokens(std::string_view text) const {
  std::vector<float> row(features());
  encode(text, row.data());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < m_settings.max_length && row[i] != 0.0f; ++i)
    out.push_back(m_vocab.tokens()[static_cast<std::size_t>(row[i])]);
  return out;
}

nlohmann::json TextEncoder::to_json() const {
  const TextSettings& s = m_settings;
  return {{"tokenizer", "bert-wordpiece"},
          {"vocab", "vocab.txt"},
          {"vocab_size", m_vocab.size()},
          {"lower_case", s.basic.lower_case},
          {"strip_accents", s.basic.strip_accents},
          {"max_length", s.max_length},
          {"hash_buckets", s.hash_buckets},
          {"hash_slots", s.hash_slots},
          {"char_ngrams", {s.char_ngram_min, s.char_ngram_max}}};
}

TextEncoder TextEncoder::load(const nlohmann::json& text, const std::string& dir) {
  TextSettings s;
  std::string vocab_file;
  try {
    s.basic.lower_case = text.at("lower_case").get<bool>();
    s.basic.strip_accents = text.at("strip_accents").get<bool>();
    s.max_length = text.at("max_length").get<std::size_t>();
    s.hash_buckets = text.value("hash_buckets", std::size_t{0});
    s.hash_slots = text.value("hash_slots", std::size_t{0});
    if (text.contains("char_ngrams")) {
      s.char_ngram_min = text["char_ngrams"].at(0).get<std::size_t>();
      s.char_ngram_max = text["char_ngrams"].at(1).get<std::size_t>();
    }
    vocab_file = text.value("vocab", "vocab.txt");
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model.json: malformed \"text\" object: ") + e.what());
  }
  if (vocab_file.find('/') != std::string::npos || vocab_file == "..")
    throw Error("model.json: \"text.vocab\" must name a file beside model.json, got '" + vocab_file + "'");
  return TextEncoder(Vocabulary::read((std::filesystem::path(dir) / vocab_file).string()), s);
}

} // namespace kf::trainer
