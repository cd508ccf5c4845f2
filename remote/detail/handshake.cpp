#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <troupe/remote/detail/handshake.hpp>

namespace troupe::remote::detail {

std::string make_nonce() {
  std::string nonce(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) !=
      1) {
    throw std::runtime_error("troupe: no random bytes for a handshake nonce");
  }
  return nonce;
}

std::string make_proof(std::string_view secret, std::string_view role, std::string_view nonce,
                       std::string_view node, std::uint64_t incarnation) {
  std::string data;
  data.reserve(role.size() + nonce.size() + node.size() + 11);
  data.append(role).push_back('\0');
  data.append(nonce).push_back('\0');
  data.append(node).push_back('\0');
  for (int i = 0; i < 8; ++i) data.push_back(static_cast<char>(incarnation >> (8 * i)));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty key is valid HMAC: nodes without a secret prove nothing, and
  // a node with one refuses them.
  static const unsigned char kNoKey = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kNoKey) : secret.data();
  if (!HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    throw std::runtime_error("troupe: HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool proofs_match(std::string_view expected, std::string_view got) noexcept {
  return expected.size() == got.size() &&
         CRYPTO_memcmp(expected.data(), got.data(), expected.size()) == 0;
}

}  // namespace troupe::remote::detail
