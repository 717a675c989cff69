// kf-trainer's command line (runtime/cli.cpp) against contract/trainer_flags.h,
// the table kf checks kf.yaml's hyperparameters with: a flag added, renamed or
// removed on one side, or a value the table promises and the trainer refuses
// (or the other way round), fails here.
#include "contract/trainer_flags.h"
#include "runtime/cli.h"
#include "runtime/error.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace kf::trainer;
using kf::contract::FlagValue;

namespace {

// Whether kf-trainer's command line takes `args` (parsing and finish_options,
// as main runs them before training).
bool trainer_takes(const std::vector<std::string>& args) {
  CLI::App app{"kf-trainer", "kf-trainer"};
  TrainerOptions options;
  CliExtras extras;
  add_trainer_flags(app, options, extras);
  std::vector<std::string> argv = args;
  std::reverse(argv.begin(), argv.end()); // CLI11 takes a vector in reverse order
  try {
    app.parse(argv);
    finish_options(options, extras);
  } catch (const CLI::ParseError&) {
    return false;
  } catch (const UsageError&) {
    return false;
  }
  return true;
}

bool trainer_takes(std::string_view flag, const std::string& value) {
  return trainer_takes({"--" + std::string(flag) + "=" + value});
}

} // namespace

TEST_CASE("cli: the contract lists exactly the flags kf-trainer defines") {
  CLI::App app{"kf-trainer", "kf-trainer"};
  TrainerOptions options;
  CliExtras extras;
  add_trainer_flags(app, options, extras);
  std::vector<std::string> defined;
  for (const CLI::Option* o : app.get_options())
    for (const std::string& name : o->get_lnames())
      if (name != "help") defined.push_back(name);
  std::sort(defined.begin(), defined.end());
  const std::vector<std::string> listed = kf::contract::trainer_flag_names();
  CHECK(std::is_sorted(listed.begin(), listed.end()));
  CHECK(defined == listed);
  REQUIRE(kf::contract::find_trainer_flag("batch-size"));
  CHECK_FALSE(kf::contract::find_trainer_flag("batch_size"));
  CHECK_FALSE(kf::contract::find_trainer_flag("help"));
}

TEST_CASE("cli: kf-trainer takes exactly the values the contract says each flag takes") {
  for (const auto& flag : kf::contract::k_trainer_flags) {
    const std::string name(flag.name);
    CAPTURE(name);
    std::vector<std::string> good, bad;
    switch (flag.value) {
    case FlagValue::text: good = {"x"}; break;
    case FlagValue::count: good = {"0", "3"}, bad = {"-1", "2.5", "x", ""}; break;
    case FlagValue::integer: good = {"0", "3", "-1"}, bad = {"2.5", "x", ""}; break;
    case FlagValue::number: good = {"0.5", "1e-3", "0"}, bad = {"x", "0.5x", ""}; break;
    case FlagValue::boolean:
      good.assign(kf::contract::k_boolean_words.begin(), kf::contract::k_boolean_words.end());
      bad = {"maybe"};
      CHECK(trainer_takes({"--" + name})); // a switch alone
      break;
    case FlagValue::choice:
      good = kf::contract::flag_choices(flag);
      bad = {"nope", good.front() + "x", ""};
      break;
    }
    if (name == "layers" || name == "conv-channels") good = {"8,4"}; // comma lists, parsed by finish_options
    for (const auto& v : good) {
      CAPTURE(v);
      CHECK(kf::contract::takes_value(flag, v));
      CHECK(trainer_takes(flag.name, v));
    }
    for (const auto& v : bad) {
      CAPTURE(v);
      CHECK_FALSE(kf::contract::takes_value(flag, v));
      CHECK_FALSE(trainer_takes(flag.name, v));
    }
  }
}

TEST_CASE("cli: what each kind of flag is said to take") {
  CHECK(kf::contract::flag_takes(*kf::contract::find_trainer_flag("optimizer")) == "\"sgd\", \"adam\" or \"adamw\"");
  CHECK(kf::contract::flag_takes(*kf::contract::find_trainer_flag("epochs")) == "a whole number (0 or more)");
  CHECK(kf::contract::flag_takes(*kf::contract::find_trainer_flag("lr")) == "a number");
  CHECK(kf::contract::flag_takes(*kf::contract::find_trainer_flag("quiet")) == "true or false");
}
