#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <troupe/remote/detail/handshake.hpp>

namespace troupe::remote::detail {

namespace {

// Each field with its length in front (4 bytes, big-endian): no two
// transcripts encode the same, whatever bytes their fields hold.
void put(std::string& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  out.append(field);
}

void put(std::string& out, const v1::Hello& hello) {
  std::string incarnation;
  for (int shift = 56; shift >= 0; shift -= 8)
    incarnation.push_back(static_cast<char>(hello.incarnation() >> shift));
  put(out, std::to_string(hello.protocol()));
  put(out, hello.node());
  put(out, incarnation);
  put(out, hello.nonce());
}

std::string hmac(std::string_view secret, std::string_view label, const std::string& transcript) {
  std::string data;
  put(data, label);
  data.append(transcript);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty key is valid HMAC (an insecure node's empty secret).
  static const unsigned char kNoKey = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kNoKey) : secret.data();
  if (!HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    throw std::runtime_error("troupe: HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string make_nonce() {
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) !=
      1) {
    throw std::runtime_error("troupe: no random bytes for a handshake nonce");
  }
  return nonce;
}

std::optional<std::string> malformed(const v1::Hello& hello) {
  if (hello.protocol() != kProtocolVersion)
    return "it speaks protocol " + std::to_string(hello.protocol()) + ", not " +
           std::to_string(kProtocolVersion);
  if (hello.nonce().size() != kNonceBytes)
    return "a nonce of " + std::to_string(hello.nonce().size()) + " bytes";
  if (hello.node().empty()) return "no node name";
  if (hello.node().size() > kMaxNodeName)
    return "a node name of " + std::to_string(hello.node().size()) + " bytes";
  return std::nullopt;
}

HandshakeKeys derive_keys(std::string_view secret, const Transcript& t) {
  std::string transcript;
  put(transcript, "troupe handshake");
  put(transcript, t.dialer);
  put(transcript, t.acceptor);
  return HandshakeKeys{
      .dialer_proof = hmac(secret, "dialer proof", transcript),
      .acceptor_proof = hmac(secret, "acceptor proof", transcript),
      .dialer_to_acceptor = hmac(secret, "dialer to acceptor frames", transcript),
      .acceptor_to_dialer = hmac(secret, "acceptor to dialer frames", transcript),
  };
}

bool proofs_match(std::string_view expected, std::string_view got) noexcept {
  return expected.size() == got.size() &&
         CRYPTO_memcmp(expected.data(), got.data(), expected.size()) == 0;
}

std::string printable(std::string_view name) {
  constexpr std::size_t kShown = 64;
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (name.size() > kShown) out += "... (" + std::to_string(name.size()) + " bytes)";
  return out;
}

}  // namespace troupe::remote::detail
