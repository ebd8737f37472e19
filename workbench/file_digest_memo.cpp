#include "workbench/file_digest_memo.h"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "support/file_io.h"
#include "support/sha256.h"

namespace wb {

namespace {

std::string identity_of(const struct stat& s) {
  return fmt::format("{} {} {} {}.{:09} {}.{:09}", static_cast<unsigned long long>(s.st_dev),
                     static_cast<unsigned long long>(s.st_ino), static_cast<long long>(s.st_size),
                     static_cast<long long>(s.st_mtim.tv_sec), s.st_mtim.tv_nsec, static_cast<long long>(s.st_ctim.tv_sec),
                     s.st_ctim.tv_nsec);
}

bool settled(const struct stat& s, int seconds) {
  const std::time_t now = std::time(nullptr);
  return s.st_mtim.tv_sec + seconds <= now && s.st_ctim.tv_sec + seconds <= now;
}

}  // namespace

std::string remembered_sha256(const std::filesystem::path& file, const std::filesystem::path& memo_dir,
                              int settled_seconds) {
  require_regular_file(file);
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  struct stat before {};
  if (ec || ::stat(file.c_str(), &before) != 0) return sha256_file(file);
  // One memo file per path: "<identity>\n<sha256>\n".
  const std::filesystem::path memo = memo_dir / (sha256_hex(absolute.string()).substr(0, 32) + ".digest");
  const std::string identity = identity_of(before);
  {
    std::ifstream in(memo);
    std::string remembered_identity, digest;
    if (in && std::getline(in, remembered_identity) && std::getline(in, digest) && remembered_identity == identity &&
        digest.size() == 64) {
      return digest;
    }
  }
  const std::string digest = sha256_file(file);
  struct stat after {};
  // Remembered only for a file that did not change while it was hashed and has settled.
  if (::stat(file.c_str(), &after) != 0 || identity_of(after) != identity || !settled(after, settled_seconds)) return digest;
  std::filesystem::create_directories(memo_dir, ec);
  if (ec) return digest;
  // Written aside and renamed into place, so a reader never sees half a memo.
  const std::filesystem::path temporary = memo.string() + fmt::format(".{}.tmp", ::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << identity << '\n' << digest << '\n';
    if (!out) {
      std::filesystem::remove(temporary, ec);
      return digest;
    }
  }
  std::filesystem::rename(temporary, memo, ec);
  if (ec) std::filesystem::remove(temporary, ec);
  return digest;
}

}  // namespace wb
