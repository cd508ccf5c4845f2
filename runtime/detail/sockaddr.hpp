#pragma once

#include <cerrno>
#include <system_error>

#include <sys/socket.h>

#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/socket_address.hpp>

namespace troupe::detail {

/// Writes `addr` as a sockaddr_in / sockaddr_in6; returns its length.
socklen_t to_sockaddr(const SocketAddress& addr, sockaddr_storage& out) noexcept;
/// Reads a sockaddr_in / sockaddr_in6 (std::errc::address_family_not_supported
/// for any other family).
IoResult<SocketAddress> from_sockaddr(const sockaddr_storage& in, socklen_t len) noexcept;

/// errno as an error_code (system category, like std::filesystem's errors).
inline std::error_code errno_code(int err = errno) noexcept {
  return {err, std::system_category()};
}

}  // namespace troupe::detail
