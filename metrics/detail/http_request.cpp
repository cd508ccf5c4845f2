#include <troupe/metrics/detail/http_request.hpp>

namespace troupe::detail {

namespace {

std::string_view reason(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

bool is_token_char(char c) noexcept { return c >= 'A' && c <= 'Z'; }

}  // namespace

HttpParse parse_http_request(std::string_view bytes, std::size_t limit, HttpRequest& out) {
  // The head ends at an empty line (CRLF CRLF, or LF LF from a lenient client).
  std::size_t end = bytes.find("\r\n\r\n");
  if (const std::size_t lf = bytes.find("\n\n"); lf < end) end = lf;
  if (end == std::string_view::npos) {
    return bytes.size() >= limit ? HttpParse::kTooLarge : HttpParse::kIncomplete;
  }
  if (end > limit) return HttpParse::kTooLarge;
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // METHOD SP TARGET SP HTTP/1.x
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 > 16) return HttpParse::kBad;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return HttpParse::kBad;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!is_token_char(c)) return HttpParse::kBad;
  }
  if (target.front() != '/') return HttpParse::kBad;
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return HttpParse::kBad;  // controls, spaces, non-ASCII
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return HttpParse::kBad;
  out.method = std::string(method);
  out.path = std::string(target.substr(0, target.find('?')));
  return HttpParse::kDone;
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool head_only) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status)) +
                  "\r\nContent-Type: " + std::string(content_type) +
                  "\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: close\r\n\r\n";
  if (!head_only) r.append(body);
  return r;
}

}  // namespace troupe::detail
