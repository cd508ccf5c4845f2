#include "chat/events.hpp"

namespace chat {

v1::SessionEvent deliver(std::string_view line) {
  v1::SessionEvent e;
  std::string* text = e.mutable_deliver()->mutable_text();
  text->reserve(line.size() + 2);
  text->append(line);
  text->append("\r\n");
  return e;
}

v1::SessionEvent deliver(const std::vector<std::string>& lines) {
  v1::SessionEvent e;
  std::string* text = e.mutable_deliver()->mutable_text();
  std::size_t size = 0;
  for (const auto& l : lines) size += l.size() + 2;
  text->reserve(size);
  for (const auto& l : lines) {
    text->append(l);
    text->append("\r\n");
  }
  return e;
}

}  // namespace chat
