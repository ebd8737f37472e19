#include "compiler/quant/quant_json.h"

#include <gtest/gtest.h>

#include "tests/support/quant_testing.h"
#include "tests/support/transformer_models.h"

namespace wb::quant {
namespace {

const nlohmann::json& layer(const nlohmann::json& doc, const std::string& name) {
  for (const auto& l : doc["network"]) {
    if (l["name"] == name) return l;
  }
  throw std::out_of_range(name);
}

TEST(QuantJson, XfdnnFieldsPerLayer) {
  QuantizeOptions o;
  o.scheme = Scheme::Xdnn;
  const auto m = test::quantize_model(test::small_cnn(), o);
  const auto doc = qgraph_to_json(m.qgraph, {{"model", "small"}});
  EXPECT_EQ(doc["scheme"], "xdnn");
  EXPECT_EQ(doc["model"], "small");
  const auto& conv = layer(doc, "conv3");
  EXPECT_EQ(conv["bw_layer_in"], 8);
  EXPECT_EQ(conv["bw_params"], 8);
  EXPECT_EQ(conv["th_params"].size(), 8u);
  // sf = th / (2^(bw-1) - 1) as xfDNN records it.
  EXPECT_DOUBLE_EQ(conv["sf_params"][0].get<double>(), conv["th_params"][0].get<double>() / 127);
  EXPECT_EQ(conv["scale"], conv["multiplier"]);
  EXPECT_EQ(conv["postscale_shift"], conv["shift"]);
  EXPECT_EQ(doc["tensors"]["cat"]["signed"], false);
}

// An input of tokens: its tensor is the image, with the shape users give as source_shape; other
// tensors have none.
TEST(QuantJson, AnInputOfTokensNamesTheShapeUsersGive) {
  QuantizeOptions o;
  o.scheme = Scheme::Pulp;
  const auto doc = qgraph_to_json(test::quantize_model(test::tiny_bert(), o).qgraph, {});
  ASSERT_EQ(doc["inputs"], nlohmann::json::array({"emb"}));
  EXPECT_EQ(doc["tensors"]["emb"]["shape"], nlohmann::json::array({1, 8, 1, 5}));
  EXPECT_EQ(doc["tensors"]["emb"]["source_shape"], nlohmann::json::array({1, 5, 8}));
  for (const auto& [name, t] : doc["tensors"].items()) EXPECT_TRUE(name == "emb" || !t.contains("source_shape")) << name;
}

TEST(QuantJson, PulpLambdaIncludesBiasAndRounding) {
  QuantizeOptions o;
  o.scheme = Scheme::Pulp;
  const auto m = test::quantize_model(test::small_cnn(), o);
  const auto doc = qgraph_to_json(m.qgraph);
  const auto& conv = layer(doc, "conv1");
  const int d = conv["d"];
  const QNode& node = m.qgraph.nodes[0];
  ASSERT_EQ(node.name, "conv1");
  for (std::size_t c = 0; c < conv["k"].size(); ++c) {
    const std::int64_t k = conv["k"][c];
    EXPECT_EQ(conv["lambda"][c].get<std::int64_t>(),
              k * node.bias.as_int64(static_cast<std::int64_t>(c)) + (std::int64_t{1} << (d - 1)));
  }
  EXPECT_TRUE(layer(doc, "conv3").contains("outmul"));
  EXPECT_TRUE(layer(doc, "residual").contains("out_mult1"));
}

}  // namespace
}  // namespace wb::quant
