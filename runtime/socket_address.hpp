#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <troupe/runtime/io_result.hpp>

namespace troupe {

/// An IP socket address: IPv4 or IPv6 address plus port (and, for IPv6, the
/// scope id of a link-local address), like Rust's `SocketAddr`.
///
/// Written as "127.0.0.1:6667" or "[::1]:80" ("[fe80::1%2]:80" with a scope
/// id); `parse` reads that form and `to_string` writes it (IPv6 in the
/// canonical RFC 5952 form). Only numeric addresses: there is no name
/// resolution here, because that blocks. A plain value type (copyable,
/// comparable); not thread-safe, like any value.
class SocketAddress {
 public:
  /// The IP version, which is also the socket family (AF_INET / AF_INET6).
  enum class Family : std::uint8_t { kIpv4, kIpv6 };

  /// 0.0.0.0:0, the IPv4 "any address" with port 0.
  SocketAddress() noexcept = default;

  /// Parses "a.b.c.d:port" or "[ipv6]:port"; std::errc::invalid_argument if
  /// the text is anything else (a host name, a missing or bad port, ...).
  static IoResult<SocketAddress> parse(std::string_view text);
  /// Combines a numeric address ("10.0.0.1", "::1", "fe80::1%2", no
  /// brackets) and a port; std::errc::invalid_argument if `ip` is not one.
  static IoResult<SocketAddress> from_ip(std::string_view ip, std::uint16_t port);

  static SocketAddress ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) noexcept;
  static SocketAddress ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port,
                            std::uint32_t scope_id = 0) noexcept;
  /// 127.0.0.1:port and [::1]:port.
  static SocketAddress ipv4_loopback(std::uint16_t port) noexcept;
  static SocketAddress ipv6_loopback(std::uint16_t port) noexcept;
  /// 0.0.0.0:port and [::]:port: bind to every local interface.
  static SocketAddress ipv4_any(std::uint16_t port) noexcept;
  static SocketAddress ipv6_any(std::uint16_t port) noexcept;

  Family family() const noexcept { return family_; }
  bool is_ipv4() const noexcept { return family_ == Family::kIpv4; }
  bool is_ipv6() const noexcept { return family_ == Family::kIpv6; }
  std::uint16_t port() const noexcept { return port_; }
  /// The same address with another port.
  SocketAddress with_port(std::uint16_t port) const noexcept;
  /// The address bytes in network order: 4 for IPv4 (the rest are zero), 16
  /// for IPv6.
  const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  std::uint32_t scope_id() const noexcept { return scope_id_; }

  /// The address without the port: "127.0.0.1", "::1", "fe80::1%2".
  std::string ip_string() const;
  /// "127.0.0.1:6667", "[::1]:80".
  std::string to_string() const;

  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::uint32_t scope_id_ = 0;
  std::uint16_t port_ = 0;
  Family family_ = Family::kIpv4;
};

}  // namespace troupe
