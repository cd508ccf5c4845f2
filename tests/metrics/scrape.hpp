// Scraping a MetricsServer with a real HTTP client: the curl command line
// tool, as a child process.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/child_process.hpp"

namespace metrics_test {

/// What curl got: the HTTP status (0 if it got none) and the body.
struct Response {
  int status = 0;
  std::string body;
};

/// Runs curl on `url` (with extra arguments before it) and waits for it.
inline Response curl(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"/usr/bin/curl", "-sS", "--max-time", "20", "-o", "-", "-w",
                                   "\n%{http_code}"};
  for (auto& a : extra) args.push_back(std::move(a));
  args.push_back(url);
  troupe::test::ChildProcess process(std::move(args));
  std::string out;
  char chunk[4096];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, process.stdout_file())) > 0) out.append(chunk, n);
  process.stop();  // exited already (its stdout closed): reaped
  Response r;
  const std::size_t last = out.rfind('\n');
  if (last == std::string::npos) return r;
  r.status = std::stoi(out.substr(last + 1));
  r.body = out.substr(0, last);
  return r;
}

/// The value of the series `series` (its name and labels exactly as
/// exposed: `troupe_dead_letters_total{reason="stopped"}`), if present.
inline std::optional<double> value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

/// A MetricsServer's /metrics as scraped by curl.
class Scraper {
 public:
  explicit Scraper(std::string base) : base_(std::move(base)) {}

  std::string scrape() const {
    Response r = curl(base_ + "/metrics");
    if (r.status != 200) throw std::runtime_error("scrape: HTTP " + std::to_string(r.status));
    return r.body;
  }
  /// The series' value now (throws if it is missing).
  double get(const std::string& series) const {
    auto v = value(scrape(), series);
    if (!v) throw std::runtime_error("no series " + series);
    return *v;
  }
  /// Scrapes until `ok` holds for the series' value or `deadline` passes:
  /// the last value seen (NaN if never present).
  double until(const std::string& series, const std::function<bool(double)>& ok,
               std::chrono::seconds deadline = std::chrono::seconds(20)) const {
    const auto end = std::chrono::steady_clock::now() + deadline;
    double last = std::numeric_limits<double>::quiet_NaN();
    for (;;) {
      if (auto v = value(scrape(), series)) {
        last = *v;
        if (ok(last)) return last;
      }
      if (std::chrono::steady_clock::now() > end) return last;
    }
  }
  const std::string& base() const { return base_; }

 private:
  std::string base_;
};

}  // namespace metrics_test
