#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::remote::detail {

/// The wire version in every Hello; a node of another version is refused.
inline constexpr std::uint32_t kProtocolVersion = 1;

/// 32 random bytes: the challenge a peer's proof must answer.
std::string make_nonce();

/// HMAC-SHA256 under the cluster secret of what one side proves: its role
/// ("dialer" or "acceptor", so a proof cannot be reflected back), the
/// other side's nonce, and its own name and incarnation. Only proofs cross
/// the wire, never the secret.
std::string make_proof(std::string_view secret, std::string_view role, std::string_view nonce,
                       std::string_view node, std::uint64_t incarnation);

/// Compares in constant time.
bool proofs_match(std::string_view expected, std::string_view got) noexcept;

}  // namespace troupe::remote::detail
