// The text path: BERT's tokenizer (its published test cases), vocabularies,
// the encoder, text tables (CSV with RFC 4180 quoting, TSV, JSON lines) with
// pinned errors, the embedding bag's gradients and the text model end to end.
#include "tests/runtime/unit/gradcheck.h"
#include "tests/runtime/unit/support.h"
#include "runtime/data.h"
#include "runtime/error.h"
#include "runtime/export.h"
#include "runtime/model.h"
#include "runtime/text.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace kf::trainer;
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

namespace {

using test::error_of;

BasicTokenizerOptions lower() { return {}; }
BasicTokenizerOptions cased() { return {false, false}; }

// google-research/bert tokenization_test.py's WordPiece vocabulary (with [PAD] first).
Vocabulary bert_test_vocab() {
  return Vocabulary({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing"},
                    "test vocab");
}

Strings wordpieces(const Vocabulary& v, const std::string& text) {
  Strings out;
  for (const std::string& w : basic_tokenize(text, lower()))
    for (std::string& p : wordpiece_tokens(v, w)) out.push_back(std::move(p));
  return out;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

} // namespace

TEST_CASE("basic tokenizer: BERT's published cases") {
  CHECK(basic_tokenize(" \tHeLLo!how  \n Are yoU?  ", lower()) == Strings{"hello", "!", "how", "are", "you", "?"});
  CHECK(basic_tokenize("H\u00E9llo", lower()) == Strings{"hello"});
  CHECK(basic_tokenize(" \tHeLLo!how  \n Are yoU?  ", cased()) == Strings{"HeLLo", "!", "how", "Are", "yoU", "?"});
  CHECK(basic_tokenize("ah\u535A\u63A8zz", lower()) == Strings{"ah", "\u535A", "\u63A8", "zz"});
  // Hugging Face's: accents stripped while lower-casing.
  CHECK(basic_tokenize(" \tH\u00E4LLo!how  \n Are yoU?  ", lower()) == Strings{"hallo", "!", "how", "are", "you", "?"});
}

TEST_CASE("basic tokenizer: punctuation, control characters, invalid UTF-8") {
  // All non-alphanumeric ASCII is punctuation, as are Unicode P* characters.
  CHECK(basic_tokenize("can't $5^2 `x` \u00BFqu\u00E9?", lower()) ==
        Strings{"can", "'", "t", "$", "5", "^", "2", "`", "x", "`", "\u00BF", "que", "?"});
  // Control characters and U+FFFD vanish; a NUL too; tabs and newlines separate.
  CHECK(basic_tokenize(std::string("a\x01" "b\xEF\xBF\xBD" "c\td", 9), lower()) == Strings{"abc", "d"});
  CHECK(basic_tokenize(std::string("x\0y", 3), lower()) == Strings{"xy"});
  // Invalid bytes count as U+FFFD and are dropped, never crash.
  CHECK(basic_tokenize("ok\xC3(\xFF!", lower()) == Strings{"ok", "(", "!"});
  // A lone combining accent disappears when accents are stripped; kept when cased.
  CHECK(basic_tokenize("e\u0301t\u00C9", lower()) == Strings{"ete"});
  CHECK(basic_tokenize("\u00C9t\u00E9", cased()) == Strings{"\u00C9t\u00E9"});
  CHECK(basic_tokenize("", lower()).empty());
  // Unicode whitespace (U+3000, Zs) separates.
  CHECK(basic_tokenize("a\u3000b", lower()) == Strings{"a", "b"});
}

TEST_CASE("wordpiece: greedy longest match, ## continuations, [UNK] for unmatched words") {
  const Vocabulary v = bert_test_vocab();
  CHECK(wordpieces(v, "").empty());
  CHECK(wordpieces(v, "unwanted running") == Strings{"un", "##want", "##ed", "runn", "##ing"});
  CHECK(wordpieces(v, "unwantedX running") == Strings{"[UNK]", "runn", "##ing"});
  CHECK(wordpiece_tokens(v, std::string(101, 'a')) == Strings{"[UNK]"}); // longer than 100 characters
}

TEST_CASE("vocabulary: [PAD] first, [UNK] required, no repeats - vocab.txt round trip") {
  CHECK(error_of([] { Vocabulary({"[UNK]", "[PAD]"}, "v.txt"); }) ==
        "v.txt: [PAD] must be the first token (id 0), as in BERT's vocabularies");
  CHECK(error_of([] { Vocabulary({"[PAD]", "a"}, "v.txt"); }) == "v.txt: no [UNK] token");
  CHECK(error_of([] { Vocabulary({"[PAD]", "[UNK]", "a", "a"}, "v.txt"); }) == "v.txt:4: token 'a' appears twice");
  const fs::path dir = test::temp_dir("text", "vocab");
  bert_test_vocab().write((dir / "vocab.txt").string());
  const Vocabulary back = Vocabulary::read((dir / "vocab.txt").string());
  CHECK(back.tokens() == bert_test_vocab().tokens());
  CHECK(back.find("##ing") == 10);
  CHECK(error_of([&] { Vocabulary::read((dir / "missing.txt").string()); }) ==
        "cannot read vocabulary " + (dir / "missing.txt").string());
}

TEST_CASE("build_vocabulary: characters always, frequent words, then pieces of rare words") {
  const std::vector<Strings> texts = {{"card", "arrived"}, {"card", "arriving"}, {"carded"}};
  VocabularyOptions o;
  o.min_count = 2;
  const Vocabulary v = build_vocabulary(texts, o);
  CHECK(v.tokens()[0] == "[PAD]");
  CHECK(v.find("card"));        // twice: a word
  CHECK_FALSE(v.find("carded")); // once: left out, but its pieces ...
  CHECK(v.find("arri"));        // ... a prefix shared by two rare words
  CHECK(v.find("c"));
  CHECK(v.find("##d"));
  // Every training word tokenizes without [UNK].
  for (const auto& t : texts)
    for (const std::string& w : t) CHECK(wordpiece_tokens(v, w) != Strings{"[UNK]"});
  o.max_size = 10; // characters go in even past the limit; words and pieces stop there
  CHECK(build_vocabulary(texts, o).size() >= 10);
  CHECK_FALSE(build_vocabulary(texts, o).find("card"));
}

TEST_CASE("text encoder: [CLS], WordPiece ids, truncation, padding, hashed features") {
  TextSettings s;
  s.max_length = 5;
  const TextEncoder plain(bert_test_vocab(), s);
  std::vector<float> row(plain.features());
  plain.encode("Unwanted running", row.data());
  CHECK(row == std::vector<float>{2, 8, 5, 6, 9}); // [CLS] un ##want ##ed runn (truncated)
  plain.encode("want", row.data());
  CHECK(row == std::vector<float>{2, 4, 0, 0, 0});
  CHECK(plain.tokens("unwanted") == Strings{"[CLS]", "un", "##want", "##ed"});

  s.hash_buckets = 100;
  s.hash_slots = 4;
  const TextEncoder hashed(bert_test_vocab(), s);
  CHECK(hashed.features() == 9);
  CHECK(hashed.rows() == 111);
  std::vector<float> h(hashed.features());
  hashed.encode("want it", h.data());
  for (std::size_t i = 5; i < 9; ++i) {
    CHECK(h[i] >= 11.0f);
    CHECK(h[i] < 111.0f);
  }
  hashed.encode("", h.data());
  CHECK(h == std::vector<float>{2, 0, 0, 0, 0, 0, 0, 0, 0});
  s.hash_slots = 0;
  CHECK(error_of([&] { TextEncoder(bert_test_vocab(), s); }) ==
        "hashed features need both --hash-buckets and hash slots (got 100 and 0)");
}

TEST_CASE("text tables: CSV with RFC 4180 quoting, TSV, JSON lines, gzip") {
  const fs::path dir = test::temp_dir("text", "tables");
  write(dir / "a.csv", "id,text,category\r\n1,\"Hello, \"\"world\"\"\nsecond line\",greet\r\n2,plain,other\n\n3,ab\"c,x\n");
  const auto rows = read_text_rows((dir / "a.csv").string(), "text", "category");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].text == "Hello, \"world\"\nsecond line");
  CHECK(rows[0].label == "greet");
  CHECK(rows[1].line == 4);
  CHECK(rows[2].text == "ab\"c");
  write(dir / "b.tsv", "label\ttext\nyes\tis it, really?\n");
  CHECK(read_text_rows((dir / "b.tsv").string(), "text", "label")[0].text == "is it, really?");
  write(dir / "c.jsonl", "{\"text\": \"hi\", \"label\": 3}\n\n{\"text\": \"yo\", \"label\": \"b\"}\n");
  const auto json = read_text_rows((dir / "c.jsonl").string(), "text", "label");
  REQUIRE(json.size() == 2);
  CHECK(json[0].label == "3");
  CHECK(json[1].line == 3);
}

TEST_CASE("text tables: pinned errors") {
  const fs::path dir = test::temp_dir("text", "errors");
  auto err = [&](const std::string& name, const std::string& body, const std::string& label = "label") {
    write(dir / name, body);
    return error_of([&] { read_text_rows((dir / name).string(), "text", label); });
  };
  const std::string d = dir.string() + "/";
  CHECK(err("a.csv", "text,category\nhi,x\n") == "data: " + d + "a.csv: no column 'label' (the header has: text, category)");
  CHECK(err("b.csv", "text,label\nhi,x\n\"open,y\n") == "data: " + d + "b.csv:3: unterminated quoted field");
  CHECK(err("c.csv", "text,label\nhi,x,z\n") == "data: " + d + "c.csv:2: expected 2 fields, got 3");
  CHECK(err("d.csv", "text,label\n") == "data: " + d + "d.csv: no samples");
  CHECK(err("e.csv", "") == "data: " + d + "e.csv: empty (expected a header row naming the columns)");
  CHECK(err("f.jsonl", "{\"text\": \"a\", \"label\": 1}\n[1]\n") == "data: " + d + "f.jsonl:2: not a JSON object");
  CHECK(err("g.jsonl", "{\"text\": \"a\"}\n") == "data: " + d + "g.jsonl:1: no \"label\" field");
  CHECK(err("h.jsonl", "{\"text\": \"a\", \"label\": [1]}\n") ==
        "data: " + d + "h.jsonl:1: \"label\" must be a string or an integer, got array");
}

TEST_CASE("text data: classes sorted by name, a fixed model's encoding, unknown labels") {
  const fs::path dir = test::temp_dir("text", "split");
  write(dir / "train.csv", "text,label\nmy card is late,card_arrival\nwhere is my card,card_arrival\n"
                           "top up failed,top_up_failed\nmy top up failed again,top_up_failed\n");
  write(dir / "test.csv", "text,label\ncard not here,card_arrival\nrefund please,refund\n");
  DataOptions o;
  o.source = (dir / "train.csv").string();
  o.test_source = (dir / "test.csv").string();
  o.text.hash_buckets = o.text.hash_slots = 0;
  o.vocab.min_count = 1;
  const DataSplit split = load_data(o, 0, 1);
  CHECK(split.train.label_names == Strings{"card_arrival", "refund", "top_up_failed"});
  CHECK(split.train.classes == 3);
  CHECK(split.train.labels == std::vector<std::uint8_t>{0, 0, 2, 2});
  CHECK(split.test.sample_shape == Shape{64});
  REQUIRE(split.train.text);
  // A model trained without "refund" rejects a test set that has it.
  TextModel fixed{split.train.text, {"card_arrival", "top_up_failed"}};
  CHECK(error_of([&] { load_data(o, 0, 1, &fixed); }) ==
        "data: " + (dir / "test.csv").string() + ":3: label 'refund' is not one of the model's 2 classes");
}

TEST_CASE("text data without --test-data: every tenth row is the test split (tables sorted by label)") {
  const fs::path dir = test::temp_dir("text", "tenth");
  std::string csv = "text,label\n";
  for (int i = 0; i < 20; ++i) csv += "text number " + std::to_string(i) + "," + (i < 10 ? "a" : "b") + "\n";
  write(dir / "all.csv", csv);
  DataOptions o;
  o.source = (dir / "all.csv").string();
  o.text.hash_buckets = o.text.hash_slots = 0;
  const DataSplit split = load_data(o, 0, 1);
  CHECK(split.train.size() == 18);
  CHECK(split.test.labels == std::vector<std::uint8_t>{0, 1}); // rows 9 and 19: both classes
  write(dir / "one.csv", "text,label\nalone,a\n");
  o.source = (dir / "one.csv").string();
  CHECK(error_of([&] { load_data(o, 0, 1); }) ==
        "data: " + o.source + ": a train and a test split need at least 2 rows");
}

TEST_CASE("embedding bag: mean of non-padding rows - gradients match finite differences") {
  Rng rng(3);
  EmbeddingBag bag(7, 3, 4, "layers.0", rng);
  Tensor ids({3, 4});
  ids.data = {1, 2, 0, 0, /**/ 6, 6, 3, 0, /**/ 0, 0, 0, 0};
  Tensor out;
  bag.forward(ids, out);
  const auto& w = bag.params()[0]->value;
  CHECK(out.data[0] == doctest::Approx((w[3] + w[6]) / 2));
  CHECK(out.data[6] == 0.0f); // only padding
  test::check_layer_gradients(bag, ids, 1e-2, false);
  ids.data[1] = 7; // outside the table
  CHECK(error_of([&] { bag.forward(ids, out); }) == "embedding: id 7.000000 is outside the table's 7 rows");
}

TEST_CASE("embedding-bag model: gradients match finite differences - export and load keep the text") {
  ModelConfig c;
  c.kind = "embeddingbag";
  c.input = {6};
  c.vocab_rows = 11;
  c.embedding_dim = 4;
  c.hidden = {5};
  c.activation = "tanh";
  c.classes = 3;
  Model model(c, 5);
  Tensor x({2, 6});
  x.data = {2, 4, 9, 0, 0, 0, /**/ 2, 8, 5, 6, 10, 0};
  const std::vector<std::uint8_t> y = {1, 2};
  test::check_model_gradients(model, x, y);
  TextSettings s;
  s.max_length = 6;
  TextModel text{std::make_shared<TextEncoder>(bert_test_vocab(), s), {"a", "b", "c"}};
  const fs::path dir = test::temp_dir("text", "export");
  export_model(dir.string(), model, {}, &text);
  LoadedModel back = load_exported_model(dir.string());
  REQUIRE(back.text);
  CHECK(back.text->labels == Strings{"a", "b", "c"});
  CHECK(back.text->encoder->vocabulary().tokens() == bert_test_vocab().tokens());
  CHECK(back.model->evaluate(x, y).loss_sum == doctest::Approx(model.evaluate(x, y).loss_sum));

  c.input = {1, 28, 28};
  CHECK(error_of([&] { Model(c, 1); }) == "--model=embeddingbag needs text data (--data-format=text: a text and a label column)");
  c.kind = "mlp";
  c.input = {6};
  CHECK(error_of([&] { Model(c, 1); }) == "--model=mlp takes images; for text data use --model=transformer or embeddingbag");
}
