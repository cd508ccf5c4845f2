#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <troupe/channels/stream.hpp>

#include "chat/client_link.hpp"
#include "chat/irc_message.hpp"

namespace chat {

/// One line from a client, without its line ending; or the news that a line
/// was longer than allowed (its bytes were dropped, `text` is empty).
struct InputLine {
  std::string text;
  bool too_long = false;
};

/// Cuts a byte stream into lines ending in LF (a CR before it is dropped
/// too), holding at most `max_length` bytes of an unfinished line: a longer
/// line is discarded up to its LF and reported as too_long, so a client can
/// never make the server buffer more than that. Owned by one reader; not
/// thread-safe.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_length = irc::kMaxLineLength) : max_(max_length) {}

  /// Appends the lines completed by `bytes` to `out`.
  void feed(std::string_view bytes, std::vector<InputLine>& out);

 private:
  std::size_t max_;
  std::string partial_;
  bool discarding_ = false;
};

/// The lines a client sends, as a stream: reads `link` (up to 4 KiB at a
/// time) and yields each line; ends when the peer closes or the connection
/// fails (an unfinished last line is dropped). Shares the link with the
/// writer, hence the shared_ptr; this stream is its only reader.
troupe::Stream<InputLine> read_lines(std::shared_ptr<ClientLink> link,
                                     std::size_t max_length = irc::kMaxLineLength);

}  // namespace chat
