#include "chat/line_reader.hpp"

#include <array>
#include <cstddef>
#include <utility>

namespace chat {

void LineSplitter::feed(std::string_view bytes, std::vector<InputLine>& out) {
  while (!bytes.empty()) {
    const auto lf = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, lf);
    // One byte of slack for the CR that may come before the LF.
    if (!discarding_ && partial_.size() + piece.size() > max_ + 1) {
      discarding_ = true;
      partial_.clear();
      partial_.shrink_to_fit();
    }
    if (!discarding_) partial_.append(piece);
    if (lf == std::string_view::npos) return;
    bytes.remove_prefix(lf + 1);
    if (!discarding_ && !partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (discarding_ || partial_.size() > max_) {
      out.push_back(InputLine{{}, true});
      partial_.clear();
    } else {
      out.push_back(InputLine{std::exchange(partial_, {}), false});
    }
    discarding_ = false;
  }
}

troupe::Stream<InputLine> read_lines(std::shared_ptr<ClientLink> link, std::size_t max_length) {
  LineSplitter splitter(max_length);
  std::array<std::byte, 4096> buffer;
  std::vector<InputLine> lines;
  for (;;) {
    const troupe::IoResult<std::size_t> n = co_await link->read(buffer);
    if (!n || *n == 0) co_return;
    splitter.feed(std::string_view(reinterpret_cast<const char*>(buffer.data()), *n), lines);
    for (InputLine& line : lines) co_yield std::move(line);
    lines.clear();
  }
}

}  // namespace chat
