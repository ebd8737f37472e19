#include "compiler/ir/window_geometry.h"

#include <gtest/gtest.h>

#include "support/error.h"

namespace wb {
namespace {

Attributes attrs_with(std::initializer_list<std::pair<const char*, AttrValue>> entries) {
  Attributes a;
  for (const auto& [name, value] : entries) a.set(name, value);
  return a;
}

TEST(WindowGeometry, ExplicitPadsAndStrides) {
  const auto a = attrs_with({{"strides", std::vector<std::int64_t>{2, 2}}, {"pads", std::vector<std::int64_t>{3, 3, 3, 3}}});
  const auto g = resolve_window(a, {1, 3, 224, 224}, {7, 7});
  EXPECT_EQ(g.output, (std::vector<std::int64_t>{112, 112}));
  EXPECT_EQ(g.kernel_elements(), 49);
}

TEST(WindowGeometry, SameUpperPutsTheOddPixelAtTheEnd) {
  const auto a = attrs_with({{"auto_pad", std::string("SAME_UPPER")}, {"strides", std::vector<std::int64_t>{2, 2}}});
  const auto g = resolve_window(a, {1, 1, 5, 6}, {3, 3});
  EXPECT_EQ(g.output, (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(g.pads_begin, (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(g.pads_end, (std::vector<std::int64_t>{1, 1}));
}

TEST(WindowGeometry, SameLowerPutsTheOddPixelAtTheBeginning) {
  const auto a = attrs_with({{"auto_pad", std::string("SAME_LOWER")}, {"strides", std::vector<std::int64_t>{2, 2}}});
  const auto g = resolve_window(a, {1, 1, 6, 6}, {3, 3});
  EXPECT_EQ(g.pads_begin, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(g.pads_end, (std::vector<std::int64_t>{0, 0}));
}

TEST(WindowGeometry, ValidIgnoresPadsAttribute) {
  const auto a = attrs_with({{"auto_pad", std::string("VALID")}, {"pads", std::vector<std::int64_t>{5, 5, 5, 5}}});
  const auto g = resolve_window(a, {1, 1, 7, 7}, {3, 3});
  EXPECT_EQ(g.output, (std::vector<std::int64_t>{5, 5}));
}

TEST(WindowGeometry, DilationWidensTheWindow) {
  const auto a = attrs_with({{"dilations", std::vector<std::int64_t>{2, 2}}});
  const auto g = resolve_window(a, {1, 1, 7, 7}, {3, 3});
  EXPECT_EQ(g.output, (std::vector<std::int64_t>{3, 3}));
}

TEST(WindowGeometry, CeilModeRoundsUpButLastWindowStartsInside) {
  // GoogLeNet's 3x3/2 max pool on 112 with ceil_mode: 56 (floor would give 55).
  const auto a = attrs_with({{"strides", std::vector<std::int64_t>{2, 2}}});
  EXPECT_EQ(resolve_window(a, {1, 64, 112, 112}, {3, 3}, true).output, (std::vector<std::int64_t>{56, 56}));
  EXPECT_EQ(resolve_window(a, {1, 64, 112, 112}, {3, 3}, false).output, (std::vector<std::int64_t>{55, 55}));
  // 2x2/2 on 5 with pad 1 each side: ceil gives 4, but the 4th window would start at 6 >= 5+1.
  const auto padded = attrs_with({{"strides", std::vector<std::int64_t>{2}}, {"pads", std::vector<std::int64_t>{1, 1}}});
  EXPECT_EQ(resolve_window(padded, {1, 1, 5}, {2}, true).output, (std::vector<std::int64_t>{3}));
}

TEST(WindowGeometry, OneDimensionalWindow) {
  const auto g = resolve_window({}, {1, 3, 32}, {2});
  EXPECT_EQ(g.output, (std::vector<std::int64_t>{31}));
}

TEST(WindowGeometry, BadAttributesAreUserErrors) {
  EXPECT_THROW(resolve_window(attrs_with({{"strides", std::vector<std::int64_t>{0, 1}}}), {1, 1, 4, 4}, {1, 1}), UserError);
  EXPECT_THROW(resolve_window(attrs_with({{"pads", std::vector<std::int64_t>{1, 1}}}), {1, 1, 4, 4}, {1, 1}), UserError);
  EXPECT_THROW(resolve_window(attrs_with({{"auto_pad", std::string("SOMETIMES")}}), {1, 1, 4, 4}, {1, 1}), UserError);
  EXPECT_THROW(resolve_window({}, {1, 1, 2, 2}, {3, 3}), UserError);  // window larger than the input
  EXPECT_THROW(resolve_window({}, {1, 4}, {1}), UserError);          // no spatial axes
}

}  // namespace
}  // namespace wb
