#pragma once
// A dense, row-major (C order) tensor that owns its bytes. Used for constants in the
// graph and for the values the reference executors compute.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/ir/dtype.h"
#include "support/huge_pages.h"

namespace wb {

using Shape = std::vector<std::int64_t>;

// Number of elements; 1 for a scalar (rank 0). Throws UserError on a negative dimension
// or an element count that overflows int64.
std::int64_t num_elements(const Shape& shape);
std::string format_shape(const Shape& shape);  // "[1,3,224,224]", "[]" for a scalar
Shape row_major_strides(const Shape& shape);   // in elements

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled

  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  template <class T>
  static Tensor scalar(T value) {
    return from_vector<T>({}, {value});
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t numel() const { return numel_; }
  std::size_t nbytes() const { return bytes_.size(); }
  bool empty() const { return dtype_ == DType::Undefined; }

  std::byte* raw() { return bytes_.data(); }
  const std::byte* raw() const { return bytes_.data(); }

  // Typed access; throws std::logic_error if T does not match the element type.
  template <class T>
  T* data() {
    check_type(dtype_of<T>());
    return reinterpret_cast<T*>(bytes_.data());
  }
  template <class T>
  const T* data() const {
    check_type(dtype_of<T>());
    return reinterpret_cast<const T*>(bytes_.data());
  }
  template <class T>
  std::span<T> span() {
    return {data<T>(), static_cast<std::size_t>(numel_)};
  }
  template <class T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<std::size_t>(numel_)};
  }

  // Element i converted to double / int64 whatever the element type (for attributes-like
  // small inputs: pads, shapes, scales, zero points).
  double as_double(std::int64_t index) const;
  std::int64_t as_int64(std::int64_t index) const;
  std::vector<std::int64_t> to_int64_vector() const;
  std::vector<double> to_double_vector() const;

  // Same bytes, new shape with the same element count.
  Tensor reshaped(Shape new_shape) const&;
  Tensor reshaped(Shape new_shape) &&;

  // Element-wise conversion (float -> int truncates toward zero as static_cast does).
  Tensor cast(DType to) const;

  bool operator==(const Tensor& other) const;

 private:
  void check_type(DType requested) const;

  DType dtype_ = DType::Undefined;
  Shape shape_;
  std::int64_t numel_ = 0;
  // vector<byte> storage comes from operator new, aligned for every element type we hold.
  // A network's weights are megabytes a tensor: on huge pages (support/huge_pages.h).
  std::vector<std::byte, LargeBufferAllocator<std::byte>> bytes_;
};

template <class T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor tensor(dtype_of<T>(), std::move(shape));
  if (static_cast<std::int64_t>(values.size()) != tensor.numel()) {
    throw std::logic_error("Tensor::from_vector: " + std::to_string(values.size()) + " values for shape " +
                           format_shape(tensor.shape()));
  }
  if constexpr (std::is_same_v<T, bool>) {
    for (std::size_t i = 0; i < values.size(); ++i) tensor.data<bool>()[i] = values[i];
  } else if (!values.empty()) {
    std::memcpy(tensor.raw(), values.data(), values.size() * sizeof(T));
  }
  return tensor;
}

}  // namespace wb
