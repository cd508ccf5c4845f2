#pragma once

#include <cstdint>
#include <string>
#include <string_view>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace troupe::remote::detail {

/// The integrity of one direction of a connection after its handshake:
/// each frame's batch carries HMAC-SHA256 under that direction's session
/// key (HandshakeKeys) over the frame's sequence number and its bytes.
/// The number is not sent: both ends count, so an altered, injected,
/// replayed, dropped or reordered frame fails the check, and the keys,
/// fresh per handshake, make frames of one connection worthless on another.
///
/// Owned by its Connection; used by one task at a time (the writer seals,
/// the reader opens), not thread-safe.
class FrameSeal {
 public:
  explicit FrameSeal(std::string_view key);
  FrameSeal(FrameSeal&& o) noexcept;
  FrameSeal& operator=(FrameSeal&& o) noexcept;
  FrameSeal(const FrameSeal&) = delete;
  FrameSeal& operator=(const FrameSeal&) = delete;
  ~FrameSeal();

  /// The MAC of the next frame to send, whose batch is `bytes`.
  std::string seal(std::string_view bytes);
  /// True if `mac` is the next frame's MAC over `bytes`. Once false, the
  /// connection must end: the counts no longer agree.
  bool open(std::string_view bytes, std::string_view mac);

 private:
  std::string mac_of(std::string_view bytes);

  EVP_MAC_CTX* ctx_ = nullptr;
  std::uint64_t sequence_ = 0;
};

}  // namespace troupe::remote::detail
