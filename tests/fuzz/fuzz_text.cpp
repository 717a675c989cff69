// libFuzzer target: any bytes as a text table (CSV, TSV or JSON lines, by
// the first byte) and as text for BERT's tokenizer and kf's text encoder
// (runtime/text.h). Nothing may crash, hang, leak or throw anything but
// kf::Error; every token is non-empty valid UTF-8 without whitespace; every
// encoded id is inside the embedding table; a table's rows keep their order.
#include "runtime/error.h"
#include "runtime/text.h"

#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace kf::trainer;

const TextEncoder& encoder() {
  static const TextEncoder e = [] {
    TextSettings s;
    s.max_length = 16;
    s.hash_buckets = 97;
    s.hash_slots = 24;
    return TextEncoder(Vocabulary({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##want", "##ed", "a", "##a", "é", "!"},
                                  "fuzz vocab"),
                       s);
  }();
  return e;
}

void check_tokens(std::string_view text) {
  for (const std::string& t : basic_tokenize(text, {})) {
    if (t.empty()) std::abort();
    for (std::size_t i = 0; i < t.size();) {
      utf8proc_int32_t cp = 0;
      const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(t.data() + i),
                                      static_cast<utf8proc_ssize_t>(t.size() - i), &cp);
      if (n <= 0 || cp == ' ' || cp == '\n' || cp == '\t') std::abort();
      i += static_cast<std::size_t>(n);
    }
  }
  std::vector<float> row(encoder().features());
  encoder().encode(text, row.data());
  for (float id : row)
    if (!(id >= 0.0f) || id >= static_cast<float>(encoder().rows())) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_tokens(bytes);
  if (size == 0) return 0;
  static const char* const names[] = {"t.csv", "t.tsv", "t.jsonl"};
  try {
    const auto rows = parse_text_table(bytes.substr(1), names[data[0] % 3], "text", "label");
    std::size_t line = 0;
    for (const TextRow& r : rows) {
      if (r.line <= line) std::abort();
      line = r.line;
      check_tokens(r.text);
    }
  } catch (const kf::Error&) {
  }
  return 0;
}
