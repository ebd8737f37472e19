#include "compiler/ir/tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "support/error.h"

namespace wb {

namespace {

// static_cast, but a floating value outside an integer type saturates and NaN becomes 0:
// ONNX leaves those casts undefined, and C++ makes them undefined behaviour.
template <typename To, typename From>
To converted(From value) {
  if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    if (std::isnan(value)) return To{0};
    if (value <= static_cast<From>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (value >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
  }
  return static_cast<To>(value);
}

}  // namespace

std::int64_t num_elements(const Shape& shape) {
  std::int64_t count = 1;
  for (std::int64_t dim : shape) {
    if (dim < 0) throw UserError(fmt::format("shape {} has a negative dimension", format_shape(shape)));
    if (dim != 0 && count > std::numeric_limits<std::int64_t>::max() / dim) {
      throw UserError(fmt::format("shape {} has too many elements", format_shape(shape)));
    }
    count *= dim;
  }
  return count;
}

std::string format_shape(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

Shape row_major_strides(const Shape& shape) {
  // A shape with a zero dimension has no elements whatever its other dimensions, so their
  // product may exceed int64; its strides then index nothing, and saturate instead of overflowing.
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  Shape strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) {
    const std::int64_t dim = std::max<std::int64_t>(shape[i], 0);
    strides[i - 1] = dim != 0 && strides[i] > kMax / dim ? kMax : strides[i] * dim;
  }
  return strides;
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)), numel_(num_elements(shape_)) {
  if (dtype == DType::Undefined) throw std::logic_error("Tensor of undefined element type");
  constexpr auto kMaxBytes = std::int64_t{1} << 40;
  if (numel_ > kMaxBytes / static_cast<std::int64_t>(dtype_size(dtype))) {
    throw UserError(fmt::format("tensor of shape {} is too large to allocate", format_shape(shape_)));
  }
  bytes_.resize(static_cast<std::size_t>(numel_) * dtype_size(dtype));
}

void Tensor::check_type(DType requested) const {
  if (requested != dtype_) {
    throw std::logic_error(fmt::format("tensor holds {} but was accessed as {}", dtype_name(dtype_),
                                       dtype_name(requested)));
  }
}

double Tensor::as_double(std::int64_t index) const {
  if (index < 0 || index >= numel_) throw std::out_of_range("Tensor::as_double index");
  return visit_dtype(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<double>(reinterpret_cast<const T*>(bytes_.data())[index]);
  });
}

std::int64_t Tensor::as_int64(std::int64_t index) const {
  if (index < 0 || index >= numel_) throw std::out_of_range("Tensor::as_int64 index");
  return visit_dtype(dtype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return converted<std::int64_t>(reinterpret_cast<const T*>(bytes_.data())[index]);
  });
}

std::vector<std::int64_t> Tensor::to_int64_vector() const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(numel_));
  for (std::int64_t i = 0; i < numel_; ++i) out[static_cast<std::size_t>(i)] = as_int64(i);
  return out;
}

std::vector<double> Tensor::to_double_vector() const {
  std::vector<double> out(static_cast<std::size_t>(numel_));
  for (std::int64_t i = 0; i < numel_; ++i) out[static_cast<std::size_t>(i)] = as_double(i);
  return out;
}

Tensor Tensor::reshaped(Shape new_shape) const& {
  Tensor copy = *this;
  return std::move(copy).reshaped(std::move(new_shape));
}

Tensor Tensor::reshaped(Shape new_shape) && {
  if (num_elements(new_shape) != numel_) {
    throw std::logic_error(fmt::format("cannot reshape {} to {}", format_shape(shape_), format_shape(new_shape)));
  }
  Tensor out = std::move(*this);
  out.shape_ = std::move(new_shape);
  return out;
}

Tensor Tensor::cast(DType to) const {
  Tensor out(to, shape_);
  visit_dtype(dtype_, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    visit_dtype(to, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      const From* src = reinterpret_cast<const From*>(bytes_.data());
      To* dst = reinterpret_cast<To*>(out.bytes_.data());
      for (std::int64_t i = 0; i < numel_; ++i) dst[i] = converted<To>(src[i]);
    });
  });
  return out;
}

bool Tensor::operator==(const Tensor& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ && bytes_ == other.bytes_;
}

}  // namespace wb
