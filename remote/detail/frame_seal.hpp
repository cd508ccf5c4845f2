#pragma once

#include <cstdint>
#include <string>
#include <string_view>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace troupe::remote::detail {

/// One direction of a connection after its handshake: each frame's batch
/// is encrypted and authenticated with AES-256-GCM under that direction's
/// session key (HandshakeKeys), the frame's sequence number as its nonce.
/// The number is not sent: both ends count, so an altered, injected,
/// replayed, dropped or reordered frame fails to open, and the keys, fresh
/// per handshake, make frames of one connection worthless on another (and
/// each nonce is used once per key, as GCM requires).
///
/// Owned by its Connection; used by one task at a time (the writer seals,
/// the reader opens), not thread-safe.
class FrameSeal {
 public:
  /// `key`: 32 bytes.
  explicit FrameSeal(std::string_view key);
  FrameSeal(FrameSeal&& o) noexcept;
  FrameSeal& operator=(FrameSeal&& o) noexcept;
  FrameSeal(const FrameSeal&) = delete;
  FrameSeal& operator=(const FrameSeal&) = delete;
  ~FrameSeal();

  /// Encrypts the next frame's batch in place; returns its 16-byte tag.
  std::string seal(std::string& bytes);
  /// Decrypts the next frame's batch in place if `tag` proves it is the
  /// next frame, unaltered; false otherwise (then `bytes` is garbage, and
  /// the connection must end: the counts no longer agree).
  bool open(std::string& bytes, std::string_view tag);

 private:
  bool start(bool encrypt);

  EVP_CIPHER_CTX* ctx_ = nullptr;
  std::uint64_t sequence_ = 0;
};

}  // namespace troupe::remote::detail
