// The bad-input catalogue: every command given input a user gets wrong (missing, damaged or
// mistyped files, contradicting options, output paths that cannot be written, values outside
// their range). Each entry must exit 2, name its culprit on the first line of stderr, not end
// in an internal error, and leave nothing behind in the output folder it was given.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/frontend/tensor_files.h"
#include "support/file_io.h"
#include "tests/support/cli_testing.h"
#include "tests/support/onnx_builder.h"
#include "tests/support/test_paths.h"

namespace wb {
namespace {

struct Entry {
  std::string args;     // after `workbench`; {fx}: fixtures, {out}: this entry's empty output folder,
                        // {t}: tiny_resnet.onnx, {in}: its input, {v3}/{gap8}: configs
  std::string culprit;  // what stderr's first line must name
};

std::ostream& operator<<(std::ostream& os, const Entry& e) { return os << e.args; }

// Written last: a folder holding it has every fixture.
constexpr const char* kFixturesMade = "fixtures_made";

// Files the entries point at: a regular file, bad YAML, damaged ONNX files, programs of both
// targets, a pow2 QDQ model, inputs with a NaN and of the wrong shape, a model with a NaN weight,
// a calibration folder. Made into `dir`, which exists and is empty.
void make_fixtures(const std::filesystem::path& dir) {
  const auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("afile", "not a folder\n");
  write("bad.yaml", "am_bytes: [\n");
  write("empty.onnx", "");
  write("text.onnx", "hello\n");
  write("a.json", "{}\n");
  Tensor input = read_tensor_file(test::workload("tiny_resnet.input.npy"));
  std::filesystem::create_directories(dir / "calib");
  write_tensor_file(dir / "calib" / "0.npy", input);
  input.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  write_tensor_file(dir / "nan.npy", input);
  write_tensor_file(dir / "wrong_shape.npy", test::random_tensor({1, 3, 8, 8}, 1));
  // tiny_bert's tokens [1, 16, 32] given as the image [1, 32, 1, 16] the QGraph stores.
  write_tensor_file(dir / "bert_image.npy", test::random_tensor({1, 32, 1, 16}, 3));
  test::OnnxBuilder nan_weights;
  nan_weights.input("x", {1, 2});
  Tensor w = test::random_tensor({2, 2}, 2);
  w.data<float>()[1] = std::numeric_limits<float>::quiet_NaN();
  nan_weights.initializer("w", w);
  nan_weights.node("MatMul", {"x", "w"}, {"y"});
  nan_weights.output("y");
  nan_weights.save(dir / "nan_weights.onnx");
  // Scores with a mask added that is not causal: -inf below the diagonal (a query sees the
  // keys after it), which has no integer form.
  test::OnnxBuilder causal;
  causal.input("scores", {1, 3, 3});
  const float inf = std::numeric_limits<float>::infinity();
  causal.initializer("mask", Tensor::from_vector<float>({3, 3}, {0, 0, 0, -inf, 0, 0, -inf, -inf, 0}));
  causal.node("Add", {"scores", "mask"}, {"masked"});
  causal.node("Softmax", {"masked"}, {"y"});
  causal.output("y");
  causal.save(dir / "causal_mask.onnx");
  const std::string model = test::workload("tiny_resnet.onnx");
  const std::string configs = std::string(WB_TEST_SOURCE_DIR) + "/configs";
  for (const auto& [config, folder] : {std::pair{"v3_96", "px"}, std::pair{"gap8", "pp"}}) {
    const auto made = test::workbench(fmt::format("compile --hw {}/{}.yaml {} --calib {} -o {}", configs, config, model,
                                                  (dir / "calib").string(), (dir / folder).string()));
    if (made.exit_code != 0) throw std::runtime_error(made.out);
  }
  const auto bert = test::workbench(fmt::format("compile --hw {}/gap8.yaml {} --calib-count 2 -o {}", configs,
                                                test::workload("tiny_bert.onnx"), (dir / "pb").string()));
  if (bert.exit_code != 0) throw std::runtime_error(bert.out);
  std::filesystem::create_directories(dir / "noqdq");
  std::filesystem::copy_file(dir / "px" / "program.xdnn", dir / "noqdq" / "program.xdnn");
  const auto qdq = test::workbench(fmt::format("quantize {} --scheme pow2 --calib {} -o {}", model,
                                               (dir / "calib").string(), (dir / "q").string()));
  if (qdq.exit_code != 0) throw std::runtime_error(qdq.out);
  // A compiled folder with 16 bytes of each program flipped in the middle, and one whose
  // model.qdq.onnx is another quantization's.
  for (const auto& [folder, program] : {std::pair{"px", "program.xdnn"}, std::pair{"pp", "program.pulp"}}) {
    std::filesystem::create_directories(dir / "damaged");
    std::string bytes = read_file_bytes(dir / folder / program);
    for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] = static_cast<char>(~bytes[i]);
    write("damaged/" + std::string(program), bytes);
  }
  std::filesystem::copy_file(dir / "px" / "model.qdq.onnx", dir / "damaged" / "model.qdq.onnx");
  std::filesystem::create_directories(dir / "otherqdq");
  std::filesystem::copy_file(dir / "px" / "program.xdnn", dir / "otherqdq" / "program.xdnn");
  std::filesystem::copy_file(dir / "q" / "model.qdq.onnx", dir / "otherqdq" / "model.qdq.onnx");
  // And one whose model.qdq.onnx was cut short.
  std::filesystem::create_directories(dir / "cutqdq");
  std::filesystem::copy_file(dir / "px" / "program.xdnn", dir / "cutqdq" / "program.xdnn");
  const std::string qdq_bytes = read_file_bytes(dir / "px" / "model.qdq.onnx");
  write("cutqdq/model.qdq.onnx", qdq_bytes.substr(0, qdq_bytes.size() / 2));
  write(kFixturesMade, "");
}

// Making the fixtures compiles three programs, two seconds under ASan; ctest makes them once per
// run for every entry (its fixture `bad_input_fixtures`, tests/cli/CMakeLists.txt) in the folder
// this variable names. A test process started without it makes its own.
constexpr const char* kSharedFixturesVariable = "WB_BAD_INPUT_FIXTURES";

std::filesystem::path fixtures() {
  static const auto made = [] {
    const char* shared = std::getenv(kSharedFixturesVariable);
    if (shared != nullptr && std::filesystem::exists(std::filesystem::path(shared) / kFixturesMade)) {
      return std::pair{std::filesystem::path(shared), std::unique_ptr<test::TempDir>()};
    }
    auto own = std::make_unique<test::TempDir>();
    make_fixtures(own->path());
    return std::pair{own->path(), std::move(own)};
  }();
  return made.first;
}

std::string expand(std::string text, const std::filesystem::path& out) {
  const std::string source = WB_TEST_SOURCE_DIR;
  const std::pair<std::string, std::string> names[] = {
      {"{fx}", fixtures().string()},
      {"{out}", out.string()},
      {"{t}", test::workload("tiny_resnet.onnx")},
      {"{in}", test::workload("tiny_resnet.input.npy")},
      {"{vit}", test::workload("tiny_vit.onnx")},
      {"{bert}", test::workload("tiny_bert.onnx")},
      {"{dyn}", test::workload("tiny_resnet_dynamic.onnx")},
      {"{v3}", source + "/configs/v3_96.yaml"},
      {"{gap8}", source + "/configs/gap8.yaml"}};
  for (const auto& [name, value] : names) {
    for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
      text.replace(at, name.size(), value);
    }
  }
  return text;
}

const std::vector<Entry> kCatalogue = {
    // run
    {"run {t}", "--hw"},
    {"run --hw {fx}/nope.yaml {t}", "nope.yaml"},
    {"run --hw {fx}/bad.yaml {t}", "bad.yaml:2"},
    {"run --hw {fx}/afile {t}", "afile"},
    {"run --hw {v3} {fx}/nope.onnx", "nope.onnx"},
    {"run --hw {v3} {fx}/empty.onnx", "empty.onnx"},
    {"run --hw {v3} {fx}/text.onnx", "text.onnx"},
    {"run --hw {v3} {t} --input {fx}/nope.npy --json {out}/r.json", "nope.npy"},
    {"run --hw {v3} {t} --input {fx}/nan.npy --calib {fx}/calib --json {out}/r.json", "NaN"},
    {"run --hw {v3} {t} --input {fx}/wrong_shape.npy --calib {fx}/calib --json {out}/r.json", "wrong_shape.npy"},
    // An input of tokens is given as tokens, not as the image the targets store.
    {"run --hw {gap8} {bert} --input {fx}/bert_image.npy --calib-count 2 --json {out}/r.json", "shape [1,16,32]"},
    {"run --hw {v3} {t} --json {fx}/afile/r.json --csv {out}/r.csv", "afile/r.json"},
    {"run --hw {v3} {t} --json {out}/r.json --csv {out}", "--csv"},
    {"run --hw {v3} {t} --trace {fx}/nodir/t.json --json {out}/r.json", "nodir/t.json"},
    {"run --hw {v3} {t} --vcd {fx}/afile/x.vcd", "afile/x.vcd"},
    {"run --hw {v3} {t} --plot {fx}/afile --json {out}/r.json", "afile"},
    {"sim --hw {v3} {fx}/px/program.xdnn --plot {fx}/afile/plots", "afile/plots"},
    {"run --hw {v3} {t} --no-data --input {in}", "--input"},
    {"run --hw {v3} {t} --seed -1", "--seed"},
    {"run --hw {v3} {t} --set am_bytes=abc", "am_bytes"},
    {"run --hw {v3} {t} --set am_bytes=-1MiB", "am_bytes"},
    {"run --hw {v3} {t} --set nokey=1", "nokey"},
    {"run --hw {v3} {t} --set am_bytes", "am_bytes"},
    {"run --hw {v3} {t} --compile-opt nosuch=on", "nosuch"},
    {"run --hw {v3} {t} --compile-opt replication=maybe", "replication=maybe"},
    {"run --hw {v3} {t} --compile-opt tiler=cost", "tiler"},
    {"run --hw {gap8} {t} --compile-opt schedule_search=off", "schedule_search"},
    {"run --hw {v3} {t} --scheme int4", "int4"},
    {"run --hw {v3} {t} --calib-method foo", "foo"},
    {"run --hw {v3} {t} --calib {fx}/nodir", "nodir"},
    {"run --hw {v3} {t} --calib-count 0", "--calib-count"},
    {"run --hw {v3} {t} --threads 0", "--threads"},
    {"run --hw {v3} {t} --no-data --set am_bytes=1KiB --json {out}/r.json", "am_bytes"},
    {"run --hw {v3} {fx}/nan_weights.onnx --json {out}/r.json", "NaN"},
    // an infinity in a mask is a mask, not a broken weight
    {"run --hw {gap8} {fx}/causal_mask.onnx --json {out}/r.json", "(mask) is an attention mask"},
    {"run --hw {v3} {t} --bogus", "--bogus"},
    // shapes are never guessed: a dynamic export's height and width come from --shape or --input
    {"run --hw {v3} {dyn} --json {out}/r.json", "dimension 2 ('height') is symbolic"},
    {"run --hw {gap8} {dyn} --no-data --json {out}/r.json", "--shape input=1x3x<height>x<width>"},
    {"run --hw {v3} {dyn} --shape input=1x3x32x32 --input {fx}/wrong_shape.npy --json {out}/r.json",
     "wrong_shape.npy is [1,3,8,8], but --shape input=1x3x32x32"},
    {"run --hw {v3} {t} --shape input=1x3 --json {out}/r.json", "--shape input=1x3"},
    {"run --hw {v3} {t} --shape inptu=1x3x32x32 --json {out}/r.json", "did you mean 'input'"},
    {"run --hw {v3} {t} --shape input=1xhx3 --json {out}/r.json", "'1xhx3' is not a shape"},
    {"run --hw {v3} {t} --shape 1x3x32x32 --json {out}/r.json", "--shape 1x3x32x32"},
    {"run --hw {v3} {t} --input nosuch={in} --json {out}/r.json", "no graph input 'nosuch'"},
    {"compile --hw {v3} {dyn} -o {out}/p", "'height'"},
    {"quantize {dyn} -o {out}/q", "'height'"},
    {"infer {dyn}", "'height'"},
    {"inspect {dyn}", "'height'"},
    // a ViT: xDNN runs it (tests/integration XdnnTransformers); PULP names each node below the first line
    {"run --hw {gap8} {vit} --calib-count 2 --set l2_bytes=4KiB --json {out}/r.json",
     "attention's product needs its operands and output in L2"},
    // compile
    {"compile --hw {v3} {t}", "--output"},
    {"compile --hw {v3} {t} -o {fx}/afile", "afile"},
    {"compile --hw {v3} {t} -o {fx}/afile/sub", "afile/sub"},
    {"compile --hw {v3} {fx}/text.onnx -o {out}/p", "text.onnx"},
    {"compile --hw {v3} {t} -o {out}/p --set am_bytes=1KiB --calib {fx}/calib", "am_bytes"},
    {"compile --hw {gap8} {t} -o {out}/p --compile-opt tiler=best", "tiler=best"},
    {"compile --hw {v3} {t} -o {out}/p --scheme pow2 --calib-method entropy --calib {fx}/nodir", "nodir"},
    // sim
    {"sim {fx}/px/program.xdnn", "--hw"},
    {"sim --hw {v3} {fx}/nope/program.xdnn", "nope/program.xdnn"},
    {"sim --hw {v3} {fx}/afile", "afile"},
    {"sim --hw {gap8} {fx}/px/program.xdnn", "program.xdnn"},
    {"sim --hw {v3} {fx}/pp/program.pulp", "program.pulp"},
    {"sim --hw {v3} {fx}/px/program.xdnn --input {fx}/nope.npy", "nope.npy"},
    {"sim --hw {v3} {fx}/px/program.xdnn --json {fx}/afile/r.json", "afile/r.json"},
    {"sim --hw {v3} {fx}/px/program.xdnn --seed -3", "--seed"},
    {"sim --hw {v3} {fx}/px/program.xdnn --input {fx}/wrong_shape.npy --json {out}/r.json", "wrong_shape.npy"},
    {"sim --hw {gap8} {fx}/pb/program.pulp --input {fx}/bert_image.npy --json {out}/r.json", "shape [1,16,32]"},
    // verify
    {"verify --hw {v3} {fx}/nodir", "nodir"},
    {"verify --hw {v3} {fx}/pp", "program.pulp"},
    {"verify --hw {gap8} {fx}/px", "program.xdnn"},
    {"verify --hw {v3} {fx}/px --json {fx}/afile/r.json", "afile/r.json"},
    {"verify --hw {v3} {fx}/noqdq --json {out}/r.json", "model.qdq.onnx"},
    {"verify --hw {v3} {fx}/px --input {fx}/nope.npy", "nope.npy"},
    {"verify --hw {gap8} {fx}/pb --input {fx}/bert_image.npy --json {out}/r.json", "shape [1,16,32]"},
    {"sim --hw {v3} {fx}/damaged/program.xdnn --json {out}/r.json", "program.xdnn is damaged: digest mismatch"},
    {"sim --hw {gap8} {fx}/damaged/program.pulp --json {out}/r.json", "program.pulp is damaged: digest mismatch"},
    {"verify --hw {v3} {fx}/damaged --json {out}/r.json", "program.xdnn is damaged: digest mismatch"},
    {"verify --hw {v3} {fx}/otherqdq --json {out}/r.json", "model.qdq.onnx: not the model program.xdnn was compiled from"},
    {"verify --hw {v3} {fx}/cutqdq --json {out}/r.json", "model.qdq.onnx: damaged, not the model program.xdnn was compiled"},
    // inspect
    {"inspect {fx}/nope.onnx", "nope.onnx"},
    {"inspect {fx}/text.onnx", "text.onnx"},
    {"inspect {t} --passes fold-batchnorm --print-after nosuchpass", "nosuchpass"},
    {"inspect {t} --passes fold-batchnorm --dump-ir {out}/ir", "--dump-ir"},
    {"inspect {t} --print-after fold-batchnorm", "--passes"},
    {"inspect {t} --passes nosuch", "nosuch"},
    {"inspect {t} --passes fold-batchnorm --print-after fold-batchnorm --dump-ir {fx}/afile", "afile"},
    {"inspect {t} --json {fx}/afile/x.json", "afile/x.json"},
    {"inspect {t} --hw {fx}/bad.yaml", "bad.yaml"},
    // infer
    {"infer {fx}/nope.onnx", "nope.onnx"},
    {"infer {t} --input {fx}/nope.npy", "nope.npy"},
    {"infer {t} --seed -5", "--seed"},
    {"infer {t} --input {fx}/nan.npy", "nan.npy"},
    {"infer {t} --input {fx}/wrong_shape.npy", "wrong_shape.npy"},
    {"infer {t} --input {in} --input {in}", "--input"},
    {"infer {fx}/nan_weights.onnx", "NaN"},
    // quantize
    {"quantize {t} --scheme pow2 -o {fx}/afile", "afile"},
    {"quantize {t} --percentile 99.9", "--percentile"},
    {"quantize {t} --calib-method entropy --percentile 50", "--percentile"},
    {"quantize {t} --dump {fx}/afile", "--dump"},
    {"quantize {t} --save-inputs {fx}/afile", "--save-inputs"},
    {"quantize {fx}/q/model.qdq.onnx --scheme pulp -o {out}/q", "model.qdq.onnx"},
    {"quantize {t} --scheme int4", "int4"},
    {"quantize {t} --calib {fx}/nodir -o {out}/q", "nodir"},
    {"quantize {t} --calib {fx}/calib --eval {fx}/nodir --report", "nodir"},
    {"quantize {fx}/nan_weights.onnx -o {out}/q", "NaN"},
    // hw show
    {"hw show {fx}/nope.yaml", "nope.yaml"},
    {"hw show {fx}/bad.yaml", "bad.yaml"},
    {"hw show {v3} --set am_bytes=-1", "am_bytes"},
    {"hw show {v3} --json {fx}/afile/h.json", "afile/h.json"},
    // sweep
    {"sweep {fx}/nope.yaml", "nope.yaml"},
    {"sweep {fx}/bad.yaml", "bad.yaml"},
    // regress
    {"regress check {fx}/nope.json", "nope.json"},
    {"regress compare {fx}/a.json", "--baseline"},
    {"regress record {fx}/nope.json --db {out}/h.db", "nope.json"},
};

class BadInputCatalogue : public ::testing::TestWithParam<Entry> {};

TEST_P(BadInputCatalogue, ExitsTwoNamingTheCulpritAndLeavesNothing) {
  const test::TempDir out;
  const test::TempDir scratch;
  const std::string args = expand(GetParam().args, out.path());
  const test::CommandResult run =
      test::shell(fmt::format("({} {} 2>{} >{})", test::workbench_binary().string(), args,
                              (scratch / "stderr").string(), (scratch / "stdout").string()));
  const std::string err = read_file_bytes(scratch / "stderr");
  EXPECT_EQ(run.exit_code, 2) << args << '\n' << err;
  const std::string first_line = err.substr(0, err.find('\n'));
  EXPECT_THAT(first_line, testing::HasSubstr(GetParam().culprit)) << args << '\n' << err;
  EXPECT_THAT(err, testing::Not(testing::HasSubstr("internal error"))) << args;
  EXPECT_THAT(err, testing::Not(testing::HasSubstr("libprotobuf"))) << args;
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out.path())) left.push_back(e.path().string());
  EXPECT_TRUE(left.empty()) << args << " left: " << fmt::format("{}", fmt::join(left, ", "));
}

INSTANTIATE_TEST_SUITE_P(Entries, BadInputCatalogue, ::testing::ValuesIn(kCatalogue));

// ctest's setup of the fixture `bad_input_fixtures`: makes the fixtures anew in the folder the
// variable names (not one of the catalogue's tests: tests/cli/CMakeLists.txt filters it out).
TEST(BadInputFixtures, MadeForTheWholeRun) {
  const char* shared = std::getenv(kSharedFixturesVariable);
  ASSERT_TRUE(shared != nullptr && *shared != '\0') << kSharedFixturesVariable << " names no folder";
  std::filesystem::remove_all(shared);
  std::filesystem::create_directories(shared);
  make_fixtures(shared);
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(shared) / kFixturesMade));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(shared) / "pp" / "program.pulp"));
}

TEST(BadInputCatalogue, HasAtLeastSixtyEntriesOverEveryCommand) {
  EXPECT_GE(kCatalogue.size(), 60u);
  for (const char* command : {"run ", "compile ", "sim ", "verify ", "inspect ", "infer ", "quantize ", "hw show ",
                              "sweep ", "regress "}) {
    EXPECT_TRUE(std::any_of(kCatalogue.begin(), kCatalogue.end(),
                            [&](const Entry& e) { return e.args.rfind(command, 0) == 0; }))
        << command;
  }
}

}  // namespace
}  // namespace wb
