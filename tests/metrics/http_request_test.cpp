// The metrics server's request parsing: whatever the bytes, an answer.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/metrics/detail/http_request.hpp>

namespace {

using troupe::detail::HttpParse;
using troupe::detail::HttpRequest;
using troupe::detail::parse_http_request;

TEST(HttpRequestParse, ReadsMethodAndPathWithoutTheQuery) {
  HttpRequest r;
  EXPECT_EQ(parse_http_request("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", 8192, r),
            HttpParse::kDone);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(parse_http_request("HEAD /dump HTTP/1.0\n\n", 8192, r), HttpParse::kDone);
  EXPECT_EQ(r.method, "HEAD");
  EXPECT_EQ(r.path, "/dump");
}

TEST(HttpRequestParse, WaitsForTheEndOfTheHead) {
  HttpRequest r;
  EXPECT_EQ(parse_http_request("", 8192, r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_http_request("GET /metrics HTTP/1.1\r\nHost: a\r\n", 8192, r),
            HttpParse::kIncomplete);
}

TEST(HttpRequestParse, RefusesWhatIsNoHttp1RequestLine) {
  HttpRequest r;
  const std::vector<std::string> bads = {"GARBAGE\r\n\r\n",
                                         "GET\r\n\r\n",
                                         "GET /metrics\r\n\r\n",
                                         "GET metrics HTTP/1.1\r\n\r\n",
                                         "get /metrics HTTP/1.1\r\n\r\n",
                                         "GET /metrics HTTP/2.0\r\n\r\n",
                                         "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                                         "GET  /metrics HTTP/1.1\r\n\r\n",
                                         std::string("GET /\0 HTTP/1.1\r\n\r\n", 20),
                                         "\r\n\r\n"};
  for (const std::string& bad : bads) {
    EXPECT_EQ(parse_http_request(bad, 8192, r), HttpParse::kBad) << bad;
  }
}

TEST(HttpRequestParse, AHeadOverTheLimitIsTooLarge) {
  HttpRequest r;
  const std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a');
  EXPECT_EQ(parse_http_request(big, 8192, r), HttpParse::kTooLarge);
  EXPECT_EQ(parse_http_request(big + "\r\n\r\n", 8192, r), HttpParse::kTooLarge);
}

TEST(HttpResponse, SaysItsLengthAndClosesTheConnection) {
  EXPECT_EQ(troupe::detail::http_response(404, "text/plain", "no\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Connection: close\r\n\r\nno\n");
  EXPECT_EQ(troupe::detail::http_response(200, "text/plain", "abc", true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Connection: close\r\n\r\n");
}

}  // namespace
