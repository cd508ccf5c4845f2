#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace troupe::detail {

/// The parts of an HTTP/1.x request head the metrics server uses.
struct HttpRequest {
  std::string method;
  std::string path;  // the request target without its query
};

/// What parse_http_request made of the bytes read so far.
enum class HttpParse {
  kIncomplete,  // no end of the head yet: read more
  kDone,        // `out` is set
  kBad,         // not an HTTP/1.x request line: 400
  kTooLarge,    // no end of the head within the limit: 431
};

/// Reads a request head (request line, headers, an empty line) from
/// `bytes`, whatever they are. Never trusts its input.
HttpParse parse_http_request(std::string_view bytes, std::size_t limit, HttpRequest& out);

/// A whole HTTP/1.1 response with Content-Length and Connection: close;
/// the body left out when `head_only` (a HEAD request).
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool head_only = false);

}  // namespace troupe::detail
