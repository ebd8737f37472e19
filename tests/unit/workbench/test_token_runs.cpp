// A run from token ids (docs/quant.md, "Embeddings of token ids"), end to end in the library as
// `workbench run` does it: seeded ids inside the table, ids from a file, the report's tokens
// and per-token figures, and each wrong input named.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "compiler/frontend/tensor_files.h"
#include "support/error.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"
#include "tests/support/transformer_models.h"
#include "tests/support/user_error_testing.h"
#include "workbench/report/report_json.h"
#include "workbench/run.h"

namespace wb::token_runs_test {
namespace {

using testing::AllOf;
using testing::HasSubstr;
using testing::Not;

// `model` run on `config` (a shipped config's file name) with 2 seeded calibration inputs and
// `inputs`, no table printed.
RunCommand run_command(const std::filesystem::path& model, const std::string& config, InputFiles inputs = {}) {
  CompileRequest request;
  request.model = model.string();
  request.hw = (test::source_dir() / "configs" / config).string();
  request.calib_count = 2;
  RunCommand c;
  c.compile = to_compile_command(request);
  c.inputs = std::move(inputs);
  c.outputs.table = false;
  return c;
}

// tiny_bert from token ids of a 16-row table, as a model file.
class TokenRuns : public testing::Test {
 protected:
  void SetUp() override { test::tiny_bert(16).save(model_); }

  RunCommand command(const std::string& config, InputFiles inputs = {}) const {
    return run_command(model_, config, std::move(inputs));
  }

  test::TempDir dir_;
  std::filesystem::path model_ = dir_ / "token_bert.onnx";
};

TEST_F(TokenRuns, SeededIdsRunBitExactOnXdnnAndTheReportCountsTheTokens) {
  std::ostringstream log;
  const report::RunReport r = run_model(command("v3_96.yaml"), log);
  EXPECT_EQ(r.verdict, "bit-exact") << log.str();
  ASSERT_TRUE(r.totals.tokens.has_value());
  EXPECT_EQ(*r.totals.tokens, 5u);
  EXPECT_THAT(r.run.inputs.at(0).at("data").get<std::string>(), HasSubstr("seeded token ids inside their table"));
  EXPECT_EQ(r.run.inputs.at(0).at("dtype").get<std::string>(), "i64");
  const nlohmann::json totals = report::to_json(r).at("totals");
  EXPECT_DOUBLE_EQ(totals.at("tokens_per_s").get<double>(), 5.0 / (r.totals.latency_ms * 1e-3));
  EXPECT_DOUBLE_EQ(totals.at("uj_per_token").get<double>(), totals.at("energy_uj").get<double>() / 5.0);
  EXPECT_EQ(report::from_json(report::to_json(r)).totals.tokens, r.totals.tokens);
  bool host_embedding = false;
  for (const report::LayerRow& row : r.layers) host_embedding = host_embedding || (row.type == "embedding" && row.unit == "host");
  EXPECT_TRUE(host_embedding);
}

TEST_F(TokenRuns, IdsFromAFileRunAndWrongOnesAreNamed) {
  std::ostringstream log;
  write_tensor_file(dir_ / "ids.npy", Tensor::from_vector<std::int64_t>({1, 5}, {15, 0, 7, 7, 3}));
  const report::RunReport r = run_model(command("v3_96.yaml", {{"ids", dir_ / "ids.npy"}}), log);
  EXPECT_EQ(r.verdict, "bit-exact") << log.str();

  write_tensor_file(dir_ / "outside.npy", Tensor::from_vector<std::int64_t>({1, 5}, {15, 0, 16, 7, 3}));
  EXPECT_THAT(test::user_error_of([&] { run_model(command("v3_96.yaml", {{"ids", dir_ / "outside.npy"}}), log); }),
              AllOf(HasSubstr("input 'ids': token id 16 (position 2)"), HasSubstr("/embed/Gather"), HasSubstr("0..15")));
  write_tensor_file(dir_ / "floats.npy", Tensor::from_vector<float>({1, 5}, {1, 0, 2, 7, 3}));
  EXPECT_THAT(test::user_error_of([&] { run_model(command("v3_96.yaml", {{"ids", dir_ / "floats.npy"}}), log); }),
              AllOf(HasSubstr("floats.npy"), HasSubstr("i64")));
}

// On the cluster the rows are the uDMA's copies, one per token, each programmed by the
// controller core: the layer's L3 bytes are the rows it picked, and its time is theirs.
TEST_F(TokenRuns, IdsRunBitExactOnPulpAsOneUdmaRowCopyPerToken) {
  std::ostringstream log;
  write_tensor_file(dir_ / "ids.npy", Tensor::from_vector<std::int64_t>({1, 5}, {15, 0, 7, 7, 3}));
  for (const InputFiles& inputs : {InputFiles{}, InputFiles{{"ids", dir_ / "ids.npy"}}}) {
    const report::RunReport r = run_model(command("gap8.yaml", inputs), log);
    EXPECT_EQ(r.verdict, "bit-exact") << log.str();
    ASSERT_TRUE(r.totals.tokens.has_value());
    EXPECT_EQ(*r.totals.tokens, 5u);
    const auto embedding = std::find_if(r.layers.begin(), r.layers.end(),
                                        [](const report::LayerRow& row) { return row.type == "embedding"; });
    ASSERT_NE(embedding, r.layers.end());
    EXPECT_EQ(embedding->unit, "udma");
    EXPECT_EQ(embedding->macs, 0u);
    EXPECT_GT(embedding->cycles, 0u);
  }
}

// A decoder test model run on `config` (a shipped config's file name) with 2 seeded calibration
// inputs: its report, checked bit-exact.
report::RunReport run_decoder(const std::filesystem::path& model, const std::string& config) {
  const RunCommand c = run_command(model, config);
  std::ostringstream log;
  report::RunReport r = run_model(c, log);
  EXPECT_EQ(r.verdict, "bit-exact") << log.str();
  return r;
}

// The report's row of the layer `name`, or null.
const report::LayerRow* layer_named(const report::RunReport& r, const std::string& name) {
  const auto row = std::find_if(r.layers.begin(), r.layers.end(),
                                [&](const report::LayerRow& layer) { return layer.name == name; });
  return row == r.layers.end() ? nullptr : &*row;
}

// A decoder's causal mask, as torch writes it three ways, runs bit-exact on both targets from
// seeded token ids: on xDNN the softmax on its host, on PULP the cluster's kernel over the kept
// keys; and the report counts the prompt's tokens.
TEST(DecoderRuns, ACausalMaskRunsBitExactOnBothTargetsInEachForm) {
  test::TempDir dir;
  for (const test::DecoderMask mask :
       {test::DecoderMask::MaskedFill, test::DecoderMask::SharedMaskedFill, test::DecoderMask::WhereKeep,
        test::DecoderMask::AddTriangle}) {
    const std::filesystem::path model = dir / fmt::format("gpt{}.onnx", static_cast<int>(mask));
    test::tiny_gpt(20, mask).save(model);
    for (const char* config : {"v3_96.yaml", "gap8.yaml"}) {
      SCOPED_TRACE(testing::Message() << model.filename() << " on " << config);
      const report::RunReport r = run_decoder(model, config);
      ASSERT_TRUE(r.totals.tokens.has_value());
      EXPECT_EQ(*r.totals.tokens, 6u);
      const auto softmax = std::find_if(r.layers.begin(), r.layers.end(),
                                        [](const report::LayerRow& row) { return row.type == "softmax"; });
      ASSERT_NE(softmax, r.layers.end());
      EXPECT_EQ(softmax->unit, std::string(config) == "gap8.yaml" ? "cores" : "host");
    }
  }
}

// Llama's block: RMSNorms (fused into RMSNormalization, the integer LayerNorm without the mean)
// and the SwiGLU feed-forward (a SiLU table times a Linear), bit-exact on both targets.
TEST(DecoderRuns, ALlamaBlockWithRmsNormAndSwiGluRunsBitExactOnBothTargets) {
  test::TempDir dir;
  for (const bool rotary : {false, true}) {
    test::tiny_llama(20, rotary).save(dir / "llama.onnx");
    for (const char* config : {"v3_96.yaml", "gap8.yaml"}) {
      SCOPED_TRACE(testing::Message() << config << (rotary ? " with rotary embeddings" : ""));
      const report::RunReport r = run_decoder(dir / "llama.onnx", config);
      const auto norms = std::count_if(r.layers.begin(), r.layers.end(), [](const report::LayerRow& row) {
        return row.type == "layernorm" && row.name.find("RMSNormalization") != std::string::npos;
      });
      EXPECT_EQ(norms, 3);
      const auto products = std::count_if(r.layers.begin(), r.layers.end(),
                                          [](const report::LayerRow& row) { return row.type == "mul"; });
      EXPECT_EQ(products, rotary ? 5 : 1) << "SwiGLU's product of the gate and the up projection, and the rotary "
                                              "embeddings' products by cos and sin on q and k";
    }
  }
}

// A decode step: one token's id, the past keys and values as graph inputs in the tokens' layout
// (llama2.c's) or in Hugging Face's [1, h, P, d], concatenated with the new token's; the logits
// and both grown caches bit-exact on both targets. PULP copies each past cache into the concat's
// tensor (with_concat_copies).
TEST(DecoderRuns, AKvCacheDecodeStepRunsBitExactOnBothTargets) {
  test::TempDir dir;
  for (const auto& [config, heads_cache] : {std::pair{"v3_96.yaml", false}, std::pair{"gap8.yaml", false},
                                            std::pair{"v3_96.yaml", true}, std::pair{"gap8.yaml", true}}) {
    test::tiny_llama_decode(20, 5, heads_cache).save(dir / "decode.onnx");
    SCOPED_TRACE(testing::Message() << config << (heads_cache ? " with the cache [1, h, P, d]" : ""));
    const report::RunReport r = run_decoder(dir / "decode.onnx", config);
    ASSERT_TRUE(r.totals.tokens.has_value());
    EXPECT_EQ(*r.totals.tokens, 1u) << "one new token; the cached ones are inputs, not tokens of the step";
    const report::LayerRow* scores = layer_named(r, "/attn/MatMul");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->macs, 2u * 1u * 6u * 4u) << "2 heads x 1 query x 6 keys (5 cached, 1 new) x 4";
  }
}

// Grouped-query attention: the shared key and value head repeated for each query head (a
// channel gather of its image), bit-exact on both targets; the -inf mask of scores whose shape
// only fold-constants knows is judged after the passes, not refused before them.
TEST(DecoderRuns, GroupedQueryAttentionRunsBitExactOnBothTargets) {
  test::TempDir dir;
  test::tiny_gqa(20).save(dir / "gqa.onnx");
  for (const char* config : {"v3_96.yaml", "gap8.yaml"}) {
    SCOPED_TRACE(config);
    const report::RunReport r = run_decoder(dir / "gqa.onnx", config);
    const auto repeats = std::count_if(r.layers.begin(), r.layers.end(), [](const report::LayerRow& row) {
      return row.type == "channel_gather" && row.name.ends_with("_repeated_heads");
    });
    EXPECT_EQ(repeats, 2) << "the keys and the values";
    const report::LayerRow* scores = layer_named(r, "/attn/MatMul");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->macs, 2u * 6u * 6u * 4u) << "2 query heads x 6 queries x 6 keys x 4";
  }
}

// A repeat of heads the passes do not recognise strands the attention around it: the refusal
// names each Expand once, as the cause, and the views, products and softmax it strands inside
// that cause's line, not as errors of their own.
TEST(DecoderRuns, AnUnrecognisedRepeatOfHeadsIsNamedAsTheOneCause) {
  test::TempDir dir;
  test::tiny_gqa(20, false).save(dir / "gqa.onnx");
  const RunCommand c = run_command(dir / "gqa.onnx", "gap8.yaml");
  std::ostringstream log;
  const std::string error = test::user_error_of([&] { run_model(c, log); });
  EXPECT_THAT(error, AllOf(HasSubstr("2 node(s) cannot be quantized"), HasSubstr("  /attn/repeat_k/Expand (Expand): "),
                           HasSubstr("  /attn/repeat_v/Expand (Expand): "), HasSubstr("repeat_kv"),
                           HasSubstr("/attn/MatMul (MatMul)"), HasSubstr("/attn/Softmax (Softmax)")));
  EXPECT_THAT(error, AllOf(Not(HasSubstr("\n  /attn/MatMul (MatMul)")), Not(HasSubstr("\n  /attn/Softmax (Softmax)"))));
}

// A mask that is not causal has no integer form: named once, at the Softmax, by what it is.
TEST(DecoderRuns, AMaskThatIsNotCausalIsNamed) {
  test::TempDir dir;
  test::tiny_gpt(20, test::DecoderMask::NotCausal).save(dir / "gpt.onnx");
  const RunCommand c = run_command(dir / "gpt.onnx", "v3_96.yaml");
  std::ostringstream log;
  EXPECT_THAT(test::user_error_of([&] { run_model(c, log); }),
              AllOf(HasSubstr("/attn/Where"), HasSubstr("is an attention mask"), HasSubstr("not a causal one")));
}

}  // namespace
}  // namespace wb::token_runs_test
