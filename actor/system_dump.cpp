#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>

#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/detail/cell_inspector.hpp>
#include <troupe/actor/system_dump.hpp>

namespace troupe {

namespace {

// "1.5 s", "20 ms", "300 us", "12 ns".
std::string readable(std::chrono::nanoseconds d) {
  const auto ns = static_cast<double>(d.count());
  char buf[32];
  if (ns >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.1f s", ns / 1e9);
  } else if (ns >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.0f ms", ns / 1e6);
  } else if (ns >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f us", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  }
  return buf;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string target(const AskEdge& e) {
  std::string s = std::to_string(e.to);
  if (!e.to_node.empty()) {
    s += '@';
    s += e.to_node;
  }
  return s;
}

}  // namespace

std::string_view to_string(ActorState s) noexcept {
  switch (s) {
    case ActorState::kStarting:
      return "starting";
    case ActorState::kIdle:
      return "idle";
    case ActorState::kScheduled:
      return "scheduled";
    case ActorState::kRunning:
      return "running";
    case ActorState::kWaiting:
      return "waiting";
    case ActorState::kSuspended:
      return "suspended";
    case ActorState::kStopping:
      return "stopping";
  }
  return "?";
}

const ActorInfo* SystemDump::find(ActorId id) const noexcept {
  for (const ActorInfo& a : actors) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

std::string to_text(const SystemDump& dump) {
  // Appended piece by piece: g++ 12 at -O3 warns (-Wrestrict) about some
  // chains of string operator+.
  std::string out;
  auto put = [&out](std::initializer_list<std::string_view> parts) {
    for (const std::string_view p : parts) out.append(p);
  };
  put({std::to_string(dump.actors.size()), " actors, ", std::to_string(dump.asks.size()),
       " pending asks, ", std::to_string(dump.cycles.size()), " probable deadlocks\n"});
  for (const ActorInfo& a : dump.actors) {
    put({"actor ", std::to_string(a.id), " ", a.class_name});
    if (!a.name.empty()) put({" name=", a.name});
    if (a.parent != 0) put({" parent=", std::to_string(a.parent)});
    put({" state=", to_string(a.state),
         " mailbox=", a.mailbox_depth ? std::to_string(*a.mailbox_depth) : std::string("?"), "\n"});
  }
  for (const AskEdge& e : dump.asks) {
    put({"ask ", std::to_string(e.from), " -> ", target(e), " ", e.message_type, " waiting ",
         e.at_least ? ">= " : "", readable(e.waiting_for), "\n"});
  }
  for (const std::vector<ActorId>& c : dump.cycles) {
    put({"probable deadlock:"});
    for (const ActorId id : c) put({" ", std::to_string(id), " ->"});
    put({" ", std::to_string(c.front()), "\n"});
  }
  return out;
}

std::string to_json(const SystemDump& dump) {
  std::string out;
  auto put = [&out](std::initializer_list<std::string_view> parts) {
    for (const std::string_view p : parts) out.append(p);
  };
  put({"{\"actors\":["});
  for (std::size_t i = 0; i < dump.actors.size(); ++i) {
    const ActorInfo& a = dump.actors[i];
    put({i ? "," : "", "{\"id\":", std::to_string(a.id), ",\"class\":", quoted(a.class_name),
         ",\"name\":", quoted(a.name), ",\"parent\":", std::to_string(a.parent),
         ",\"state\":", quoted(to_string(a.state)), ",\"mailbox\":",
         a.mailbox_depth ? std::to_string(*a.mailbox_depth) : std::string("null"), "}"});
  }
  put({"],\"asks\":["});
  for (std::size_t i = 0; i < dump.asks.size(); ++i) {
    const AskEdge& e = dump.asks[i];
    put({i ? "," : "", "{\"from\":", std::to_string(e.from), ",\"to\":", std::to_string(e.to),
         ",\"to_node\":", quoted(e.to_node), ",\"message\":", quoted(e.message_type),
         ",\"waiting_ns\":", std::to_string(e.waiting_for.count()),
         ",\"at_least\":", e.at_least ? "true" : "false", "}"});
  }
  put({"],\"cycles\":["});
  for (std::size_t i = 0; i < dump.cycles.size(); ++i) {
    put({i ? ",[" : "["});
    for (std::size_t j = 0; j < dump.cycles[i].size(); ++j) {
      put({j ? "," : "", std::to_string(dump.cycles[i][j])});
    }
    put({"]"});
  }
  put({"]}"});
  return out;
}

SystemDump ActorSystem::dump() const { return detail::CellInspector::dump(*core_); }

}  // namespace troupe
