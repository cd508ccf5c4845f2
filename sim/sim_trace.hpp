#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <troupe/runtime/clock.hpp>

namespace troupe {

/// What happened at one step of a simulation.
enum class SimEventKind : std::uint8_t {
  kSpawn,  // a task or actor was created (id: its spawn number)
  kPoll,   // a task or actor ran once (id: its spawn number)
  kDone,   // a task or actor finished (id: its spawn number)
  kTimer,  // the clock jumped and the timers due fired (id: how many tasks became ready)
  kFault,  // the test injected a fault (id: its number in the run; text: what)
  kNote,   // the test wrote a note (text)
  kNet,    // the simulated network carried or cut something (text: what)
};

/// One entry of a SimTrace. Ids are spawn numbers of the run (1, 2, ...),
/// never addresses, so that two runs of a seed give equal traces.
struct SimEvent {
  std::uint64_t step = 0;  // the scheduler's step count when it happened
  SimEventKind kind = SimEventKind::kNote;
  std::uint64_t id = 0;
  Duration time{};   // virtual time since the simulation started
  std::string text;  // for faults and notes
};

/// The record of a simulation run: a running hash over every event (FNV-1a,
/// so two runs of one seed can be compared step for step) and the last
/// `capacity` events (a ring), to print when the run fails. Owned by its
/// SimScheduler; not thread-safe.
class SimTrace {
 public:
  explicit SimTrace(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void add(SimEvent e);
  /// FNV-1a over every event so far (kind, id, step, time, text).
  std::uint64_t hash() const noexcept { return hash_; }
  /// Events recorded so far (also those the ring no longer holds).
  std::uint64_t size() const noexcept { return count_; }
  /// The last `n` events still held, oldest first.
  std::vector<SimEvent> tail(std::size_t n) const;
  /// The last `n` events, one line each.
  std::string format(std::size_t n) const;
  /// One event as a line: "step 12  t+1.500ms  poll  #3 (relay)".
  std::string describe(const SimEvent& e) const;
  /// Names task `id` in the lines above (not in the hash).
  void set_name(std::uint64_t id, std::string name) { names_[id] = std::move(name); }

 private:
  void mix(const void* data, std::size_t size) noexcept;

  std::size_t capacity_;
  std::vector<SimEvent> ring_;
  std::size_t next_ = 0;  // the ring slot the next event goes to, once full
  std::uint64_t count_ = 0;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
  std::map<std::uint64_t, std::string> names_;
};

}  // namespace troupe
