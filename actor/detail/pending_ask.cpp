// The asking side of the wait-for graph (see PendingAsk); link() is in
// cell_inspector.cpp, next to the cell's internals it reads.

#include <troupe/actor/detail/pending_ask.hpp>

namespace troupe::detail {

std::pair<Instant, bool> PendingAsk::since(Instant now) noexcept {
  if (timeout_ != kNoTimeout && deadline_ != nullptr) {
    if (const std::optional<Instant> d = deadline_->deadline()) return {*d - timeout_, true};
  }
  if (first_seen_ == kUnseen) first_seen_ = now;
  return {first_seen_, false};
}

}  // namespace troupe::detail
