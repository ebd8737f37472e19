#pragma once
// SHA-256 (OpenSSL's libcrypto): model and config digests in reports, cache keys, and the
// digests a program file carries of its payload and of the model it was compiled from.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace wb {

// SHA-256 of the file's bytes, lowercase hex (64 characters). UserError if it cannot be read.
std::string sha256_file(const std::filesystem::path& path);
// SHA-256 of bytes in memory, lowercase hex.
std::string sha256_hex(std::string_view bytes);

// SHA-256 fed piece by piece (OpenSSL's EVP interface).
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::string hex();  // lowercase, 64 digits; once

 private:
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> context_;
};

}  // namespace wb
