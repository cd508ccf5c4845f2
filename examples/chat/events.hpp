#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat.pb.h"

namespace chat {

/// A Deliver event for a session: `line` (no line ending) for its client.
v1::SessionEvent deliver(std::string_view line);
/// A Deliver event with several lines, written in this order.
v1::SessionEvent deliver(const std::vector<std::string>& lines);

}  // namespace chat
