#include "compiler/frontend/tensor_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "compiler/frontend/tensor_proto.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "tests/support/onnx_builder.h"

namespace wb {
namespace {

TEST(TensorFiles, NpyRoundTripForEveryType) {
  test::TempDir dir;
  for (DType dtype : {DType::F32, DType::F64, DType::I8, DType::U8, DType::I16, DType::U16, DType::I32, DType::U32,
                      DType::I64, DType::U64, DType::Bool}) {
    Tensor t = test::random_tensor({2, 3}, 5).cast(dtype);
    write_tensor_file(dir / "t.npy", t);
    EXPECT_EQ(read_tensor_file(dir / "t.npy"), t) << dtype_name(dtype);
  }
}

TEST(TensorFiles, NpyScalarAndVectorShapes) {
  test::TempDir dir;
  for (const Shape& shape : {Shape{}, Shape{5}, Shape{1, 3, 4, 4}}) {
    const Tensor t = test::random_tensor(shape, 2);
    write_tensor_file(dir / "t.npy", t);
    EXPECT_EQ(read_tensor_file(dir / "t.npy").shape(), shape);
  }
}

TEST(TensorFiles, NpyHeaderIsPaddedTo64Bytes) {
  const std::string bytes = serialize_npy(test::random_tensor({7}, 1));
  const std::size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_NE(bytes.find("'shape': (7,)"), std::string::npos);
}

TEST(TensorFiles, PbRoundTrip) {
  test::TempDir dir;
  const Tensor t = test::random_tensor({1, 3, 2, 2}, 9);
  write_tensor_file(dir / "t.pb", t, "input");
  EXPECT_EQ(read_tensor_file(dir / "t.pb"), t);
}

TEST(TensorFiles, MalformedNpyIsAUserError) {
  EXPECT_THROW(parse_npy("garbage", "x.npy"), UserError);
  std::string bytes = serialize_npy(test::random_tensor({4}, 1));
  EXPECT_THROW(parse_npy(bytes.substr(0, bytes.size() - 1), "short.npy"), UserError);
  std::string fortran = bytes;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_THROW(parse_npy(fortran, "f.npy"), UserError);
  std::string big_endian = bytes;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  EXPECT_THROW(parse_npy(big_endian, "be.npy"), UserError);
}

TEST(TensorFiles, UnknownExtensionAndMissingFile) {
  EXPECT_THROW(tensor_format_of("x.txt"), UserError);
  EXPECT_THROW(read_tensor_file("/nonexistent/x.npy"), UserError);
}

TEST(TensorFiles, AtomicWriteLeavesNoPartialFileOnFailure) {
  test::TempDir dir;
  EXPECT_THROW(write_tensor_file(dir / "missing_folder" / "t.npy", test::random_tensor({2}, 1)), UserError);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing_folder"));
  write_file_atomically(dir / "f.bin", "abc");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);  // no temporary left behind
}

TEST(TensorProto, UnsupportedElementTypeIsNamed) {
  onnx::TensorProto proto;
  proto.set_name("half");
  proto.set_data_type(onnx::TensorProto::FLOAT16);
  proto.add_dims(1);
  try {
    tensor_from_proto(proto, std::nullopt);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("FLOAT16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wb
