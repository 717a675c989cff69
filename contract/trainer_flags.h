#pragma once
// kf-trainer's flags: the contract between runtime/cli.cpp, which defines
// them, and libkf/spec, which checks kf.yaml's hyperparameters and tuned
// parameters (each passed to the trainer as --NAME=VALUE) against it, so a
// typo in a name or a value is an error at `kf validate`, not a replica that
// fails after its restarts. The choices of a choice flag are defined here
// only; trainer_unit's test_cli.cpp holds the names and the value kinds equal
// to what kf-trainer's command line accepts. Header-only, standard library
// only (ARCHITECTURE.md, "contract/").

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace kf::contract {

enum class FlagValue {
  text,    // any string (paths, comma lists the trainer parses itself)
  count,   // a whole number, 0 or more
  integer, // a whole number
  number,  // a decimal number
  boolean, // a switch: --NAME alone, or --NAME=true|false (and on/off, yes/no, 1/0)
  choice,  // one of `choices`
};

struct TrainerFlag {
  std::string_view name;    // without the leading "--"
  FlagValue value;
  std::string_view choices; // FlagValue::choice: the values, '|'-separated
};

// Sorted by name; --help is not a hyperparameter.
inline constexpr std::array<TrainerFlag, 60> k_trainer_flags = {{
    {"activation", FlagValue::choice, "relu|tanh|sigmoid"},
    {"augment", FlagValue::choice, "none|crop|flip|crop,flip|flip,crop"},
    {"batch-norm", FlagValue::boolean, {}},
    {"batch-size", FlagValue::count, {}},
    {"beta1", FlagValue::number, {}},
    {"beta2", FlagValue::number, {}},
    {"bind-host", FlagValue::text, {}},
    {"cache-dir", FlagValue::text, {}},
    {"checkpoint-every", FlagValue::count, {}},
    {"collective-timeout", FlagValue::number, {}},
    {"conv-channels", FlagValue::text, {}},
    {"csv-label-column", FlagValue::choice, "first|last"},
    {"data", FlagValue::text, {}},
    {"data-format", FlagValue::choice, "auto|idx|csv|text|synthetic"},
    {"device", FlagValue::choice, "auto|cpu|gpu"},
    {"dropout", FlagValue::number, {}},
    {"embedding-dim", FlagValue::count, {}},
    {"encoder-layers", FlagValue::count, {}},
    {"epochs", FlagValue::count, {}},
    {"epochs-from-checkpoint", FlagValue::boolean, {}},
    {"evaluate", FlagValue::text, {}},
    {"ffn-dim", FlagValue::count, {}},
    {"global-pool", FlagValue::boolean, {}},
    {"hash-buckets", FlagValue::count, {}},
    {"hash-slots", FlagValue::count, {}},
    {"heads", FlagValue::count, {}},
    {"kernel-size", FlagValue::count, {}},
    {"label-column", FlagValue::text, {}},
    {"label-smoothing", FlagValue::number, {}},
    {"layers", FlagValue::text, {}},
    {"lr", FlagValue::number, {}},
    {"lr-gamma", FlagValue::number, {}},
    {"lr-schedule", FlagValue::choice, "constant|step|cosine"},
    {"lr-step-epochs", FlagValue::count, {}},
    {"max-length", FlagValue::count, {}},
    {"metrics-file", FlagValue::text, {}},
    {"model", FlagValue::choice, "mlp|cnn|embeddingbag|transformer"},
    {"momentum", FlagValue::number, {}},
    {"no-lower-case", FlagValue::boolean, {}},
    {"no-resume", FlagValue::boolean, {}},
    {"optimizer", FlagValue::choice, "sgd|adam|adamw"},
    {"output", FlagValue::text, {}},
    {"overlap-allreduce", FlagValue::choice, "auto|on|off"},
    {"pooling", FlagValue::choice, "mean|cls"},
    {"quiet", FlagValue::boolean, {}},
    {"rendezvous-timeout", FlagValue::number, {}},
    {"seed", FlagValue::count, {}},
    {"shm-allreduce", FlagValue::choice, "auto|off"},
    {"step-delay-ms", FlagValue::integer, {}},
    {"sync-batch-norm", FlagValue::boolean, {}},
    {"synthetic-samples", FlagValue::count, {}},
    {"synthetic-size", FlagValue::count, {}},
    {"test-data", FlagValue::text, {}},
    {"text-column", FlagValue::text, {}},
    {"threads", FlagValue::integer, {}},
    {"train-limit", FlagValue::count, {}},
    {"vocab", FlagValue::text, {}},
    {"vocab-size", FlagValue::count, {}},
    {"warmup-steps", FlagValue::count, {}},
    {"weight-decay", FlagValue::number, {}},
}};

// The words a boolean flag takes after '=' (CLI11's, as kf-trainer parses them).
inline constexpr std::array<std::string_view, 8> k_boolean_words = {"true", "false", "on", "off",
                                                                     "yes", "no", "1", "0"};

inline const TrainerFlag* find_trainer_flag(std::string_view name) {
  for (const TrainerFlag& f : k_trainer_flags)
    if (f.name == name) return &f;
  return nullptr;
}

inline std::vector<std::string> trainer_flag_names() {
  std::vector<std::string> out;
  for (const TrainerFlag& f : k_trainer_flags) out.emplace_back(f.name);
  return out;
}

inline std::vector<std::string> flag_choices(const TrainerFlag& flag) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < flag.choices.size();) {
    const std::size_t bar = std::min(flag.choices.find('|', start), flag.choices.size());
    out.emplace_back(flag.choices.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}

// "a whole number (0 or more)", "true or false", "\"sgd\", \"adam\" or \"adamw\"".
inline std::string flag_takes(const TrainerFlag& flag) {
  switch (flag.value) {
  case FlagValue::count: return "a whole number (0 or more)";
  case FlagValue::integer: return "a whole number";
  case FlagValue::number: return "a number";
  case FlagValue::boolean: return "true or false";
  case FlagValue::text: return "text";
  case FlagValue::choice: break;
  }
  const std::vector<std::string> choices = flag_choices(flag);
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += "\"" + choices[i] + "\"";
  }
  return out;
}

// Whether kf-trainer takes --NAME=text for this flag (the value's form only:
// a range the trainer checks later, as --dropout's [0, 1), is not checked).
inline bool takes_value(const TrainerFlag& flag, std::string_view text) {
  const auto digits = [](std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return true;
  };
  switch (flag.value) {
  case FlagValue::text: return true;
  case FlagValue::count: return digits(text);
  case FlagValue::integer: return digits(!text.empty() && text[0] == '-' ? text.substr(1) : text);
  case FlagValue::number: {
    const std::string s(text);
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size() && s.find_first_of("xXnN") == std::string::npos;
  }
  case FlagValue::boolean:
    for (std::string_view w : k_boolean_words)
      if (w == text) return true;
    return false;
  case FlagValue::choice:
    for (const std::string& c : flag_choices(flag))
      if (c == text) return true;
    return false;
  }
  return false;
}

} // namespace kf::contract
