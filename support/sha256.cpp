#include "support/sha256.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "support/error.h"
#include "support/file_io.h"

namespace wb {

Sha256::Sha256() : context_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
  if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("sha256: OpenSSL could not start a SHA-256 digest");
  }
}

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(context_.get(), data, size) != 1) {
    throw std::runtime_error("sha256: OpenSSL digest update failed");
  }
}

std::string Sha256::hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &length) != 1 || length != 32) {
    throw std::runtime_error("sha256: OpenSSL digest final failed");
  }
  std::string text;
  text.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) text += fmt::format("{:02x}", digest[i]);
  return text;
}

std::string sha256_file(const std::filesystem::path& path) {
  require_regular_file(path);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw UserError(fmt::format("{}: cannot be opened", path.string()));
  Sha256 digest;
  std::vector<char> buffer(1024 * 1024);
  while (file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    digest.update(buffer.data(), static_cast<std::size_t>(file.gcount()));
  }
  if (file.bad()) throw UserError(fmt::format("{}: read failed", path.string()));
  return digest.hex();
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 digest;
  digest.update(bytes.data(), bytes.size());
  return digest.hex();
}

}  // namespace wb
