#include <doctest/doctest.h>

#include <algorithm>

#include "libkf/action/init.h"
#include "libkf/render/values.h"
#include "libkf/spec/decode.h"
#include "libkf/util/error.h"

using namespace kf;

namespace {
const char* k_minimal = "apiVersion: kf.dev/v1alpha1\nkind: Project\nmetadata:\n  name: demo\n";

spec::Project decode(const std::string& text) { return spec::decode_project(yaml::parse(text, "kf.yaml")); }

std::string error_of(const std::string& text) {
  try {
    decode(text);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "(no error)";
}
} // namespace

TEST_CASE("a minimal project gets every default") {
  const auto p = decode(k_minimal);
  CHECK(p.name == "demo");
  CHECK(p.namespace_ == "default");
  CHECK(p.image.ref() == "demo-trainer:latest");
  CHECK(p.training.framework == "pytorch");
  CHECK(p.training.workers == 2);
  CHECK(p.training.model.layers == std::vector<int>{128, 64});
  CHECK(p.training.restart_policy == "OnFailure");
  CHECK_FALSE(p.tuning.present);
  CHECK(p.serving.protocol == "v2");
  CHECK(p.platform.namespace_ == "kubeflow");
  CHECK(p.default_target == "local");
}

TEST_CASE("the scaffold kf init writes decodes, for both frameworks") {
  const auto p = decode(action::scaffold_kf_yaml("demo", "pytorch"));
  CHECK(p.tuning.present);
  CHECK(p.tuning.parameters.size() == 2);
  CHECK(p.pipelines.size() == 1);
  CHECK(p.pipelines[0].steps[1].inputs == std::vector<std::string>{"train.model"});
  CHECK(p.notebooks[0].volume_size == "5Gi");
  CHECK(decode(action::scaffold_kf_yaml("tf", "tensorflow")).training.framework == "tensorflow");
  const auto cnn = decode(action::scaffold_kf_yaml("clothes", "pytorch", "fashion-cnn"));
  CHECK(cnn.training.model.type == "cnn");
  CHECK(cnn.training.model.conv_channels == std::vector<int>{32, 64});
  CHECK(cnn.training.model.batch_norm);
  CHECK(cnn.training.model.augment == std::vector<std::string>{"crop", "flip"});
}

TEST_CASE("a typo in a key is an unknown field with a suggestion") {
  CHECK(error_of(std::string(k_minimal) + "spec:\n  training:\n    worker: 2\n") ==
        "kf.yaml:7:5: spec.training.worker: unknown field (did you mean 'workers'?)");
}

TEST_CASE("wrong types name the field and what was found") {
  CHECK(error_of(std::string(k_minimal) + "spec:\n  training:\n    workers: two\n") ==
        "kf.yaml:7:14: spec.training.workers: expected an integer, got \"two\"");
  CHECK(error_of(std::string(k_minimal) + "spec:\n  training: [1]\n") ==
        "kf.yaml:6:13: spec.training: expected a mapping, got a list");
}

TEST_CASE("every problem is reported, in one error") {
  const auto err = error_of(std::string(k_minimal) + "spec:\n  training:\n    workers: 0\n    framework: jax\n");
  CHECK(err ==
        "kf.yaml:7:14: spec.training.workers: must be between 1 and 1024, got 0\n"
        "kf.yaml:8:16: spec.training.framework: unsupported value \"jax\": supported values: \"pytorch\", \"tensorflow\"");
}

TEST_CASE("cross-field checks point at the field") {
  const std::string tuning = std::string(k_minimal) +
                             "spec:\n  tuning:\n    objective: {metric: accuracy}\n    parameters:\n"
                             "      - {name: lr, min: 0.1, max: 0.01}\n";
  CHECK(error_of(tuning) == "kf.yaml:9:35: spec.tuning.parameters[0].max: must be greater than min (0.1), got 0.01");
}

TEST_CASE("pipeline cycles are found, with the path") {
  const std::string text = std::string(k_minimal) +
                           "spec:\n  pipelines:\n    - name: p\n      steps:\n"
                           "        - {name: a, dependsOn: [b]}\n        - {name: b, dependsOn: [a]}\n";
  CHECK(error_of(text) == "kf.yaml:9:11: spec.pipelines[0].steps: dependency cycle: a -> b -> a");
}

TEST_CASE("a notebook step: a notebook or a command, parameters only for a notebook, its output is \"notebook\"") {
  const std::string head = std::string(k_minimal) + "spec:\n  pipelines:\n    - name: p\n      steps:\n";
  CHECK(error_of(head + "        - {name: a, notebook: a.ipynb, command: [python3]}\n") ==
        "kf.yaml:9:31: spec.pipelines[0].steps[0].notebook: a step runs a notebook or a command, not both (drop command and args)");
  CHECK(error_of(head + "        - {name: a, command: [sh], parameters: {x: \"1\"}}\n") ==
        "kf.yaml:9:11: spec.pipelines[0].steps[0].parameters: only a notebook step takes parameters (a command takes args)");
  CHECK(error_of(head + "        - {name: a, notebook: a.ipynb, outputs: [notebook]}\n") ==
        "kf.yaml:9:31: spec.pipelines[0].steps[0].outputs: a notebook step's output \"notebook\" is the executed notebook: name the others "
        "differently");
  CHECK(error_of(head + "        - {name: a, notebook: a.ipynb}\n        - {name: b, command: [sh], inputs: [a.notebok]}\n") ==
        "kf.yaml:10:45: spec.pipelines[0].steps[1].inputs[0]: no step produces \"a.notebok\" (did you mean 'a.notebook'?)");
}

TEST_CASE("serving.logger: mode and url, like KServe's predictor logger - bad modes are named") {
  CHECK_FALSE(decode(k_minimal).serving.logger.present);
  const auto p = decode(std::string(k_minimal) + "spec:\n  serving:\n    logger:\n      url: http://sink\n");
  CHECK(p.serving.logger.present);
  CHECK(p.serving.logger.mode == "all");
  CHECK(p.serving.logger.url == "http://sink");
  CHECK(decode(std::string(k_minimal) + "spec:\n  serving:\n    logger: {mode: response}\n").serving.logger.mode ==
        "response");
  CHECK(error_of(std::string(k_minimal) + "spec:\n  serving:\n    logger:\n      mode: everything\n") ==
        "kf.yaml:8:13: spec.serving.logger.mode: unsupported value \"everything\": supported values: \"all\", \"request\", \"response\"");
  CHECK(error_of(std::string(k_minimal) + "spec:\n  serving:\n    logger:\n      file: x\n") ==
        "kf.yaml:8:7: spec.serving.logger.file: unknown field");
}

TEST_CASE("model: batchNorm, dropout, convChannels and augment decode, render as kf-trainer's flags, and are checked") {
  const std::string model = std::string(k_minimal) + "spec:\n  training:\n    model:\n";
  const auto p = decode(model + "      type: cnn\n      convChannels: [32, 64]\n      batchNorm: true\n"
                                "      syncBatchNorm: true\n      dropout: 0.25\n      augment: [crop, flip]\n");
  CHECK(p.training.model.batch_norm);
  const auto args = render::trainer_args(p, false);
  const auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
  CHECK(has("--conv-channels=32,64"));
  CHECK(has("--batch-norm"));
  CHECK(has("--sync-batch-norm"));
  CHECK(has("--dropout=0.25"));
  CHECK(has("--augment=crop,flip"));
  // Left out, they add no flag: the trainer's defaults hold.
  const auto plain = render::trainer_args(decode(k_minimal), false);
  CHECK(std::none_of(plain.begin(), plain.end(), [](const std::string& a) {
    return a.rfind("--batch-norm", 0) == 0 || a.rfind("--sync-batch-norm", 0) == 0 || a.rfind("--dropout", 0) == 0 ||
           a.rfind("--augment", 0) == 0 ||
           a.rfind("--conv-channels", 0) == 0;
  }));

  CHECK(error_of(model + "      dropout: 1.5\n") == "kf.yaml:8:16: spec.training.model.dropout: must be a probability in [0, 1)");
  CHECK(error_of(model + "      augment: [crop, flop]\n") ==
        "kf.yaml:8:23: spec.training.model.augment[1]: unsupported value \"flop\" (did you mean 'flip'?): supported "
        "values: \"crop\", \"flip\"");
  CHECK(error_of(model + "      type: transformer\n      batchNorm: true\n      augment: [flip]\n") ==
        "kf.yaml:8:13: spec.training.model.type: model \"transformer\" reads text: set training.data.format to \"text\"\n"
        "kf.yaml:9:18: spec.training.model.batchNorm: is for the image models (mlp, cnn); the transformer has "
        "LayerNorm\n"
        "kf.yaml:10:16: spec.training.model.augment: is for the image models (mlp, cnn)");
  CHECK(error_of(model + "      syncBatchNorm: true\n") == "kf.yaml:8:22: spec.training.model.syncBatchNorm: needs batchNorm: true");
  CHECK(error_of(model + "      convChannels: [0]\n") ==
        "kf.yaml:8:22: spec.training.model.convChannels[0]: must be between 1 and 4096, got 0");
}

TEST_CASE("data: source synthetic and format synthetic imply each other - a file format with the generator is refused") {
  const std::string data = std::string(k_minimal) + "spec:\n  training:\n    data:\n";
  const auto by_source = decode(data + "      source: synthetic\n");
  CHECK(by_source.training.data.format == "synthetic");
  const auto by_format = decode(data + "      format: synthetic\n");
  CHECK(by_format.training.data.source == "synthetic");
  const auto args = render::trainer_args(by_format, false);
  CHECK(std::find(args.begin(), args.end(), "--data=synthetic") != args.end());
  CHECK(std::find(args.begin(), args.end(), "--data-format=synthetic") != args.end());
  CHECK(decode(data + "      source: synthetic\n      format: synthetic\n").training.data.format == "synthetic");
  CHECK(error_of(data + "      source: synthetic\n      format: idx\n") ==
        "kf.yaml:9:15: spec.training.data.format: source \"synthetic\" generates its images: drop format, or write "
        "\"synthetic\", not \"idx\"");
  CHECK(error_of(data + "      source: /data/train.csv\n      format: synthetic\n") ==
        "kf.yaml:8:15: spec.training.data.source: format \"synthetic\" generates its images and reads no file: write "
        "source: synthetic, or a file format (idx, csv, text)");
  CHECK(error_of(data + "      format: synthetc\n") ==
        "kf.yaml:8:15: spec.training.data.format: unsupported value \"synthetc\" (did you mean 'synthetic'?): "
        "supported values: \"idx\", \"csv\", \"text\", \"synthetic\"");
}

TEST_CASE("hyperparameters and tuned parameters must be kf-trainer flags, unless training.command runs another program") {
  const std::string training = std::string(k_minimal) + "spec:\n  training:\n";
  CHECK(error_of(training + "    hyperparameters:\n      epochs: 1\n      trainLimit: 100\n") ==
        "kf.yaml:9:7: spec.training.hyperparameters.trainLimit: unknown kf-trainer flag --trainLimit (did you mean "
        "'train-limit'?); kf-trainer --help lists them, and training.command runs a program of your own instead");
  CHECK(error_of(training + "    hyperparameters:\n      shuffle: [a]\n") ==
        "kf.yaml:8:7: spec.training.hyperparameters.shuffle: unknown kf-trainer flag --shuffle; kf-trainer --help "
        "lists them, and training.command runs a program of your own instead");
  const auto own = decode(training + "    command: [python3, train.py]\n    hyperparameters:\n      shuffle: true\n");
  REQUIRE(own.training.hyperparameters.size() == 1);
  CHECK(own.training.hyperparameters[0].first == "shuffle");

  const std::string tuning = "  tuning:\n    objective: {metric: accuracy}\n    parameters:\n"
                             "      - {name: learning-rate, min: 0.001, max: 0.1}\n";
  CHECK(error_of(training + "    workers: 1\n" + tuning) ==
        "kf.yaml:11:16: spec.tuning.parameters[0].name: unknown kf-trainer flag --learning-rate; kf-trainer --help "
        "lists them, and training.command runs a program of your own instead");
  CHECK(decode(training + "    command: [./train]\n" + tuning).tuning.parameters[0].name == "learning-rate");
}

TEST_CASE("a hyperparameter's value must be one its kf-trainer flag takes, as the trainer will receive it") {
  const std::string hp = std::string(k_minimal) + "spec:\n  training:\n    hyperparameters:\n";
  CHECK(error_of(hp + "      optimizer: adamm\n") ==
        "kf.yaml:8:18: spec.training.hyperparameters.optimizer: --optimizer takes \"sgd\", \"adam\" or \"adamw\", got "
        "\"adamm\" (did you mean 'adam'?)");
  CHECK(error_of(hp + "      epochs: 2.5\n      lr: fast\n      batch-norm: maybe\n      threads: -1.5\n") ==
        "kf.yaml:8:15: spec.training.hyperparameters.epochs: --epochs takes a whole number (0 or more), got \"2.5\"\n"
        "kf.yaml:9:11: spec.training.hyperparameters.lr: --lr takes a number, got \"fast\"\n"
        "kf.yaml:10:19: spec.training.hyperparameters.batch-norm: --batch-norm takes true or false, got \"maybe\"\n"
        "kf.yaml:11:16: spec.training.hyperparameters.threads: --threads takes a whole number, got \"-1.5\"");
  // What the trainer receives: 2.0 is written --epochs=2; "3" is --epochs=3.
  const auto p = decode(hp + "      epochs: 2.0\n      batch-size: \"3\"\n      lr: 1e-3\n      quiet: true\n"
                             "      layers: 64,32\n");
  const auto args = render::trainer_args(p, false);
  for (const char* a : {"--epochs=2", "--batch-size=3", "--lr=0.001", "--quiet=true", "--layers=64,32"})
    CHECK(std::find(args.begin(), args.end(), a) != args.end());
}

TEST_CASE("a tuned parameter's range or values must be ones its kf-trainer flag takes") {
  const std::string head = std::string(k_minimal) + "spec:\n  tuning:\n    objective: {metric: accuracy}\n    parameters:\n";
  CHECK(error_of(head + "      - {name: optimizer, type: categorical, values: [sgd, adamm]}\n") ==
        "kf.yaml:9:9: spec.tuning.parameters[0].values[1]: --optimizer takes \"sgd\", \"adam\" or \"adamw\", got "
        "\"adamm\" (did you mean 'adam'?)");
  CHECK(error_of(head + "      - {name: epochs, min: 1, max: 4}\n") ==
        "kf.yaml:9:9: spec.tuning.parameters[0].type: --epochs takes a whole number (0 or more): make the parameter "
        "type: int");
  CHECK(error_of(head + "      - {name: optimizer, type: int, min: 1, max: 4}\n") ==
        "kf.yaml:9:9: spec.tuning.parameters[0].type: --optimizer takes \"sgd\", \"adam\" or \"adamw\": make the "
        "parameter categorical");
  CHECK(error_of(head + "      - {name: epochs, type: int, min: -1, max: 4}\n") ==
        "kf.yaml:9:40: spec.tuning.parameters[0].min: --epochs takes a whole number (0 or more), got -1");
  const auto ok = decode(head + "      - {name: epochs, type: int, min: 1, max: 4}\n"
                                "      - {name: lr, type: int, min: 1, max: 4}\n"
                                "      - {name: batch-norm, type: categorical, values: [\"true\", \"false\"]}\n");
  CHECK(ok.tuning.parameters.size() == 3);
}
