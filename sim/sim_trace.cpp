#include <cstdio>
#include <utility>

#include <troupe/sim/sim_trace.hpp>

namespace troupe {

void SimTrace::mix(const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash_ ^= p[i];
    hash_ *= 0x100000001b3ULL;  // FNV-1a 64-bit prime
  }
}

void SimTrace::add(SimEvent e) {
  // Field by field, never the struct's bytes (padding is not a value).
  const auto kind = static_cast<std::uint8_t>(e.kind);
  const std::int64_t time = e.time.count();
  mix(&e.step, sizeof e.step);
  mix(&kind, sizeof kind);
  mix(&e.id, sizeof e.id);
  mix(&time, sizeof time);
  mix(e.text.data(), e.text.size());
  ++count_;
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(e));
    return;
  }
  ring_[next_] = std::move(e);
  next_ = (next_ + 1) % capacity_;
}

std::vector<SimEvent> SimTrace::tail(std::size_t n) const {
  std::vector<SimEvent> out;
  const std::size_t held = ring_.size();
  if (n > held) n = held;
  out.reserve(n);
  // Oldest held event: slot next_ once the ring is full, else slot 0.
  const std::size_t oldest = held < capacity_ ? 0 : next_;
  for (std::size_t i = held - n; i < held; ++i) out.push_back(ring_[(oldest + i) % held]);
  return out;
}

std::string SimTrace::describe(const SimEvent& e) const {
  char head[96];
  const double ms = std::chrono::duration<double, std::milli>(e.time).count();
  std::snprintf(head, sizeof head, "step %-7llu t+%.3fms  ",
                static_cast<unsigned long long>(e.step), ms);
  std::string line = head;
  std::string id = std::to_string(e.id);
  if (e.kind == SimEventKind::kSpawn || e.kind == SimEventKind::kPoll ||
      e.kind == SimEventKind::kDone) {
    const auto it = names_.find(e.id);
    if (it != names_.end()) id += " (" + it->second + ")";
  }
  switch (e.kind) {
    case SimEventKind::kSpawn:
      line += "spawn #" + id;
      break;
    case SimEventKind::kPoll:
      line += "poll  #" + id;
      break;
    case SimEventKind::kDone:
      line += "done  #" + id;
      break;
    case SimEventKind::kTimer:
      line += "timers fired, " + id + " task(s) woken";
      break;
    case SimEventKind::kFault:
      line += "FAULT " + id + ": " + e.text;
      break;
    case SimEventKind::kNote:
      line += "note: " + e.text;
      break;
    case SimEventKind::kNet:
      line += "net   " + e.text;
      break;
  }
  return line;
}

std::string SimTrace::format(std::size_t n) const {
  std::string out;
  for (const SimEvent& e : tail(n)) {
    out += "  ";
    out += describe(e);
    out += '\n';
  }
  return out;
}

}  // namespace troupe
