#include <stdexcept>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <troupe/remote/detail/frame_seal.hpp>

namespace troupe::remote::detail {

namespace {

EVP_MAC* hmac_algorithm() {
  // Fetched once: a fetch per frame costs more than the MAC itself.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (!mac) throw std::runtime_error("troupe: OpenSSL has no HMAC");
  return mac;
}

}  // namespace

FrameSeal::FrameSeal(std::string_view key) : ctx_(EVP_MAC_CTX_new(hmac_algorithm())) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  static const unsigned char kNoKey = 0;
  const auto* k = key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  if (!ctx_ || EVP_MAC_init(ctx_, k, key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx_);
    throw std::runtime_error("troupe: cannot set up a frame MAC");
  }
}

FrameSeal::FrameSeal(FrameSeal&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), sequence_(o.sequence_) {}

FrameSeal& FrameSeal::operator=(FrameSeal&& o) noexcept {
  std::swap(ctx_, o.ctx_);
  std::swap(sequence_, o.sequence_);
  return *this;
}

FrameSeal::~FrameSeal() { EVP_MAC_CTX_free(ctx_); }

std::string FrameSeal::mac_of(std::string_view bytes) {
  unsigned char sequence[8];
  for (int i = 0; i < 8; ++i) sequence[i] = static_cast<unsigned char>(sequence_ >> (56 - 8 * i));
  ++sequence_;
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  // Re-initialised without a key, the context keeps the one it was given.
  if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx_, sequence, sizeof sequence) != 1 ||
      EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) !=
          1 ||
      EVP_MAC_final(ctx_, out, &len, sizeof out) != 1) {
    throw std::runtime_error("troupe: frame MAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string FrameSeal::seal(std::string_view bytes) { return mac_of(bytes); }

bool FrameSeal::open(std::string_view bytes, std::string_view mac) {
  const std::string expected = mac_of(bytes);
  return expected.size() == mac.size() &&
         CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) == 0;
}

}  // namespace troupe::remote::detail
