#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <troupe/v1/cluster.pb.h>

namespace troupe::remote::detail {

/// The wire version in every Hello; a node of another version is refused.
/// Version 2: proofs bound to the whole handshake, sealed frames.
inline constexpr std::uint32_t kProtocolVersion = 2;
/// A Hello's nonce is exactly this long; a name at most kMaxNodeName.
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kMaxNodeName = 255;
/// The shortest cluster secret a node accepts (unless told it may be
/// insecure): 256 bits, out of reach of offline guessing.
inline constexpr std::size_t kMinSecretBytes = 32;

/// kNonceBytes random bytes: this side's contribution to a handshake.
std::string make_nonce();

/// Why `hello` is not one this node can answer (another protocol, a
/// nonce of the wrong size, an empty or too long name); nullopt if it is.
std::optional<std::string> malformed(const v1::Hello& hello);

/// Both hellos of one handshake, by role: everything its proofs and keys
/// are bound to. A proof made for one handshake is worth nothing in
/// another, since each side chose a fresh nonce for it.
struct Transcript {
  const v1::Hello& dialer;
  const v1::Hello& acceptor;
};

/// What a handshake under a cluster secret yields. The proofs show each
/// side knows the secret; the keys seal the frames that follow, one per
/// direction. All are HMAC-SHA256 under the secret, each over its own
/// label and the length-prefixed transcript, so none can stand in for
/// another. Only the proofs cross the wire.
struct HandshakeKeys {
  std::string dialer_proof;
  std::string acceptor_proof;
  std::string dialer_to_acceptor;
  std::string acceptor_to_dialer;
};
HandshakeKeys derive_keys(std::string_view secret, const Transcript& t);

/// Compares in constant time.
bool proofs_match(std::string_view expected, std::string_view got) noexcept;

/// A name from the wire, fit for one log line: control characters and
/// non-ASCII bytes escaped, cut after 64 bytes.
std::string printable(std::string_view name);

}  // namespace troupe::remote::detail
