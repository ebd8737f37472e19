#include "compiler/ir/attributes.h"

#include <gtest/gtest.h>

#include "compiler/ir/op_kind.h"
#include "support/error.h"

namespace wb {
namespace {

TEST(Attributes, DefaultsWhenAbsentValueWhenPresent) {
  Attributes a;
  EXPECT_EQ(a.get_int("group", 1), 1);
  a.set("group", std::int64_t{4});
  EXPECT_EQ(a.get_int("group", 1), 4);
  EXPECT_EQ(a.find_float("alpha"), std::nullopt);
  a.erase("group");
  EXPECT_FALSE(a.has("group"));
}

TEST(Attributes, WrongKindIsAUserErrorNamingTheAttribute) {
  Attributes a;
  a.set("strides", std::string("two"));
  try {
    a.get_ints("strides");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("strides"), std::string::npos);
  }
}

TEST(OpKind, NamesRoundTrip) {
  for (OpKind op : all_ops()) EXPECT_EQ(op_from_name(op_name(op)), op);
  EXPECT_EQ(op_from_name("NonMaxSuppression"), std::nullopt);
  EXPECT_GE(all_ops().size(), 36u);
}

}  // namespace
}  // namespace wb
