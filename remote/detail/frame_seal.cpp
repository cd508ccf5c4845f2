#include <climits>
#include <stdexcept>
#include <utility>

#include <openssl/evp.h>

#include <troupe/remote/detail/frame_seal.hpp>

namespace troupe::remote::detail {

namespace {
constexpr int kTagBytes = 16;
}  // namespace

FrameSeal::FrameSeal(std::string_view key) : ctx_(EVP_CIPHER_CTX_new()) {
  // The key schedule once; each frame only sets its nonce.
  if (!ctx_ || key.size() != 32 ||
      EVP_CipherInit_ex(ctx_, EVP_aes_256_gcm(), nullptr,
                        reinterpret_cast<const unsigned char*>(key.data()), nullptr, 1) != 1) {
    EVP_CIPHER_CTX_free(ctx_);
    throw std::runtime_error("troupe: cannot set up a frame seal");
  }
}

FrameSeal::FrameSeal(FrameSeal&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), sequence_(o.sequence_) {}

FrameSeal& FrameSeal::operator=(FrameSeal&& o) noexcept {
  std::swap(ctx_, o.ctx_);
  std::swap(sequence_, o.sequence_);
  return *this;
}

FrameSeal::~FrameSeal() { EVP_CIPHER_CTX_free(ctx_); }

bool FrameSeal::start(bool encrypt) {
  unsigned char nonce[12] = {};  // 4 zero bytes, then the sequence number
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<unsigned char>(sequence_ >> (56 - 8 * i));
  ++sequence_;
  return EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce, encrypt ? 1 : 0) == 1;
}

std::string FrameSeal::seal(std::string& bytes) {
  unsigned char* data = reinterpret_cast<unsigned char*>(bytes.data());
  int len = 0;
  std::string tag(kTagBytes, '\0');
  if (bytes.size() > INT_MAX || !start(true) ||
      (!bytes.empty() &&
       EVP_CipherUpdate(ctx_, data, &len, data, static_cast<int>(bytes.size())) != 1) ||
      EVP_CipherFinal_ex(ctx_, data + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) != 1) {
    throw std::runtime_error("troupe: sealing a frame failed");
  }
  return tag;
}

bool FrameSeal::open(std::string& bytes, std::string_view tag) {
  unsigned char* data = reinterpret_cast<unsigned char*>(bytes.data());
  int len = 0;
  std::string expected(tag);  // the ctrl call takes a mutable buffer
  return tag.size() == kTagBytes && bytes.size() <= INT_MAX && start(false) &&
         (bytes.empty() ||
          EVP_CipherUpdate(ctx_, data, &len, data, static_cast<int>(bytes.size())) == 1) &&
         EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, kTagBytes, expected.data()) == 1 &&
         EVP_CipherFinal_ex(ctx_, data + len, &len) == 1;
}

}  // namespace troupe::remote::detail
