#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <troupe/runtime/detail/sockaddr.hpp>
#include <troupe/runtime/socket_address.hpp>

namespace troupe {

namespace {

constexpr std::errc kBad = std::errc::invalid_argument;

// Decimal digits only (no sign, no spaces), at most `max`.
template <class U>
bool parse_number(std::string_view text, U max, U& out) {
  if (text.empty() || text.size() > 10) return false;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return false;
  out = static_cast<U>(v);
  return true;
}

// inet_pton wants a NUL-terminated string.
bool to_c_string(std::string_view text, char (&buf)[64]) {
  if (text.empty() || text.size() >= sizeof buf || text.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return true;
}

}  // namespace

IoResult<SocketAddress> SocketAddress::from_ip(std::string_view ip, std::uint16_t port) {
  char buf[64];
  if (ip.find(':') == std::string_view::npos) {
    std::array<std::uint8_t, 4> octets{};
    if (!to_c_string(ip, buf) || ::inet_pton(AF_INET, buf, octets.data()) != 1) return kBad;
    return ipv4(octets, port);
  }
  std::uint32_t scope = 0;
  if (const auto pct = ip.find('%'); pct != std::string_view::npos) {
    const std::string_view zone = ip.substr(pct + 1);
    if (!parse_number(zone, ~std::uint32_t{0}, scope)) {
      // An interface name ("eth0") is as good as its index.
      char name[64];
      if (!to_c_string(zone, name) || (scope = ::if_nametoindex(name)) == 0) return kBad;
    }
    ip = ip.substr(0, pct);
  }
  std::array<std::uint8_t, 16> bytes{};
  if (!to_c_string(ip, buf) || ::inet_pton(AF_INET6, buf, bytes.data()) != 1) return kBad;
  return ipv6(bytes, port, scope);
}

IoResult<SocketAddress> SocketAddress::parse(std::string_view text) {
  std::string_view ip;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return kBad;
    ip = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    // Brackets are for IPv6 only.
    if (ip.find(':') == std::string_view::npos) return kBad;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return kBad;
    ip = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    // An IPv6 address needs brackets, or its last group would read as the port.
    if (ip.find(':') != std::string_view::npos) return kBad;
  }
  std::uint16_t port = 0;
  if (!parse_number(port_text, std::uint16_t{65535}, port)) return kBad;
  return from_ip(ip, port);
}

SocketAddress SocketAddress::ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) noexcept {
  SocketAddress a;
  std::memcpy(a.bytes_.data(), octets.data(), octets.size());
  a.port_ = port;
  a.family_ = Family::kIpv4;
  return a;
}

SocketAddress SocketAddress::ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port,
                                  std::uint32_t scope_id) noexcept {
  SocketAddress a;
  a.bytes_ = bytes;
  a.port_ = port;
  a.scope_id_ = scope_id;
  a.family_ = Family::kIpv6;
  return a;
}

SocketAddress SocketAddress::ipv4_loopback(std::uint16_t port) noexcept {
  return ipv4({127, 0, 0, 1}, port);
}

SocketAddress SocketAddress::ipv6_loopback(std::uint16_t port) noexcept {
  std::array<std::uint8_t, 16> b{};
  b[15] = 1;
  return ipv6(b, port);
}

SocketAddress SocketAddress::ipv4_any(std::uint16_t port) noexcept { return ipv4({}, port); }

SocketAddress SocketAddress::ipv6_any(std::uint16_t port) noexcept { return ipv6({}, port); }

SocketAddress SocketAddress::with_port(std::uint16_t port) const noexcept {
  SocketAddress a = *this;
  a.port_ = port;
  return a;
}

std::string SocketAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN];
  const int af = is_ipv4() ? AF_INET : AF_INET6;
  if (::inet_ntop(af, bytes_.data(), buf, sizeof buf) == nullptr) return {};
  std::string s(buf);
  if (is_ipv6() && scope_id_ != 0) s += '%' + std::to_string(scope_id_);
  return s;
}

std::string SocketAddress::to_string() const {
  const std::string port = std::to_string(port_);
  if (is_ipv4()) return ip_string() + ':' + port;
  return '[' + ip_string() + "]:" + port;
}

namespace detail {

socklen_t to_sockaddr(const SocketAddress& addr, sockaddr_storage& out) noexcept {
  std::memset(&out, 0, sizeof out);
  if (addr.is_ipv4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(addr.port());
    std::memcpy(&sin.sin_addr, addr.bytes().data(), 4);
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(addr.port());
  sin6.sin6_scope_id = addr.scope_id();
  std::memcpy(&sin6.sin6_addr, addr.bytes().data(), 16);
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

IoResult<SocketAddress> from_sockaddr(const sockaddr_storage& in, socklen_t len) noexcept {
  if (in.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in sin;
    std::memcpy(&sin, &in, sizeof sin);
    std::array<std::uint8_t, 4> octets;
    std::memcpy(octets.data(), &sin.sin_addr, 4);
    return SocketAddress::ipv4(octets, ntohs(sin.sin_port));
  }
  if (in.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &in, sizeof sin6);
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &sin6.sin6_addr, 16);
    return SocketAddress::ipv6(bytes, ntohs(sin6.sin6_port), sin6.sin6_scope_id);
  }
  return std::errc::address_family_not_supported;
}

}  // namespace detail
}  // namespace troupe
