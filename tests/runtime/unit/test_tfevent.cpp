// kf-tfevent-collector's reader (runtime/tfevent): TFRecord framing, the
// scalar summaries of TF1 and TF2, and which metric a value is, as Katib's
// TensorFlowEvent collector decides it.
#include <doctest/doctest.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/tfevent/reader.h"
#include "tfevent.pb.h"

using namespace kf::tfevent;

namespace {

std::string record(const std::string& data) {
  std::string out(12, '\0');
  std::uint64_t n = data.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + data + std::string(4, '\0'); // the CRCs are not checked
}

std::string event(const std::string& tag, double value, bool tensor) {
  Event e;
  e.set_step(1);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  if (!tensor) {
    v->set_simple_value(static_cast<float>(value));
  } else {
    v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
    v->mutable_tensor()->set_dtype(DT_DOUBLE);
    v->mutable_tensor()->add_double_val(value);
  }
  return e.SerializeAsString();
}

} // namespace

TEST_CASE("tfevent: records, scalars of both styles, and a record still being written") {
  Event version;
  version.set_file_version("brain.Event:2");
  const std::string file = record(version.SerializeAsString()) + record(event("accuracy", 0.25, true)) +
                           record(event("loss", 0.5, false));
  const auto recs = records(file, "f");
  REQUIRE(recs.size() == 3u);
  const auto s = scalars(recs, "f");
  REQUIRE(s.size() == 2u);
  CHECK(s[0].tag == "accuracy");
  CHECK(s[0].value == 0.25);
  CHECK(s[0].tensor);
  CHECK(s[1].tag == "loss");
  CHECK(s[1].value == 0.5);
  CHECK_FALSE(s[1].tensor);
  // A writer's last record, cut anywhere, is not read yet.
  for (std::size_t cut = 1; cut < record(event("loss", 0.5, false)).size(); ++cut)
    CHECK(records(file.substr(0, file.size() - cut), "f").size() == 2u);
  // Not an event: refused by name.
  CHECK_THROWS_WITH(scalars(records(record("\xff\xff\xff"), "f"), "f"), "f: record 1 is not a TensorFlow Event");
  CHECK_THROWS_WITH(records(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + std::string(8, 'x'), "f"),
                    doctest::Contains("f is not a TFRecord file"));
}

TEST_CASE("tfevent: a metric is a tag, or a tag under the event file's directory (Katib's _should_consider)") {
  CHECK(matches("accuracy", "accuracy", "logs/test/events.out"));
  CHECK(matches("accuracy_1", "accuracy", "logs/test/events.out")); // a prefix, as Katib matches
  CHECK_FALSE(matches("loss", "accuracy", "logs/test/events.out"));
  CHECK(matches("accuracy", "test/accuracy", "logs/test/events.out"));
  CHECK_FALSE(matches("accuracy", "train/accuracy", "logs/test/events.out"));
}
