#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/dead_letter.hpp>
#include <troupe/actor/detail/cell_ptr.hpp>
#include <troupe/actor/supervisor_strategy.hpp>
#include <troupe/runtime/detail/scheduler.hpp>

namespace troupe::detail {

class ActorCellBase;

/// The state of an ActorSystem that its actors share: the scheduler they
/// run on, id allocation, the count of live actors (for shutdown), the
/// top-level actors, the name registry, the dead-letter account and the
/// log. Thread-safe; owned by the ActorSystem, which outlives its actors.
class SystemCore {
 public:
  /// Where the actors report what nobody else would see (one line each,
  /// from any thread); empty: the framework's log (see log()).
  using LogHook = std::function<void(const std::string&)>;

  SystemCore(Scheduler& scheduler, SupervisorStrategy top_level, LogHook log = {}) noexcept
      : scheduler_(scheduler), top_level_(std::move(top_level)), log_(std::move(log)) {}
  SystemCore(const SystemCore&) = delete;
  SystemCore& operator=(const SystemCore&) = delete;

  Scheduler& scheduler() noexcept { return scheduler_; }
  const SupervisorStrategy& top_level_strategy() const noexcept { return top_level_; }
  // Relaxed: an id only has to be unique, which the atomic add alone makes it.
  ActorId next_id() noexcept { return ids_.fetch_add(1, std::memory_order_relaxed) + 1; }

  /// The process is taken to have died (a simulated crash, SimNode::crash):
  /// from now on the actors stop without running on_stop, as a killed
  /// process runs none of its cleanup. The shutdown that follows still
  /// frees them. Once, from the thread that then shuts the system down.
  void abandon() noexcept { abandoned_.store(true, std::memory_order_relaxed); }
  bool abandoned() const noexcept { return abandoned_.load(std::memory_order_relaxed); }

  /// Reports `line` through the log hook, or as an error of component
  /// "actor" in the framework's log (troupe::log)
  /// without one. A hook that throws is ignored.
  void log(const std::string& line) const noexcept;

  // --- Live actors -------------------------------------------------------------
  // Relaxed: nothing is published with the increment; the decrement in
  // actor_finished is the one that orders the actor's end (acq_rel).
  void actor_started() noexcept { live_.fetch_add(1, std::memory_order_relaxed); }
  void actor_finished() noexcept;
  // Acquire: pairs with actor_finished's release, so that whoever sees an
  // actor gone sees what it did before.
  std::size_t live() const noexcept { return live_.load(std::memory_order_acquire); }
  /// Blocks the calling thread until no actor is alive.
  void wait_until_none_alive() const noexcept;

  // --- Top-level actors (the roots that shutdown stops) -------------------------
  /// False once shutdown has begun: the caller does not start the actor.
  bool add_top_level(ActorCellBase& cell);
  void remove_top_level(ActorCellBase& cell) noexcept;
  /// The top-level actors now (retained).
  std::vector<CellPtr> top_level() const;
  /// Refuses new top-level actors and asks every current one to stop.
  void stop_all() noexcept;

  // --- Registry ----------------------------------------------------------------
  bool register_name(std::string name, ActorCellBase& cell, std::type_index type);
  /// The actor under `name` if its class is `type` (retained), else nullptr.
  CellPtr lookup(std::string_view name, std::type_index type) const;
  /// The actor under `name` whatever its class (retained), else nullptr.
  CellPtr lookup_any(std::string_view name) const;
  void unregister(const std::string& name, const ActorCellBase& cell) noexcept;

  // --- Dead letters ------------------------------------------------------------
  void dead_letter(const DeadLetter& d) noexcept;
  // Relaxed: a count read for its own sake; it orders nothing else.
  std::uint64_t dead_letters() const noexcept {
    return dead_letters_.load(std::memory_order_relaxed);
  }
  void set_dead_letter_hook(std::function<void(const DeadLetter&)> hook);

 private:
  Scheduler& scheduler_;
  const SupervisorStrategy top_level_;
  const LogHook log_;  // set once, read by any thread
  // Written by every spawn and every end, from all workers: each on its own
  // cache line, away from the fields every spawn only reads.
  alignas(64) std::atomic<ActorId> ids_{0};
  alignas(64) std::atomic<std::size_t> live_{0};

  alignas(64) mutable std::mutex mutex_;  // guards the members below
  // Every top-level actor, each cell knowing its slot, so that adding and
  // removing cost no allocation beyond the vector's growth.
  std::vector<CellPtr> top_level_cells_;
  bool stopping_ = false;
  struct Entry {
    ActorCellBase* cell;  // not counted: the actor unregisters itself when it stops
    std::type_index type;
  };
  std::unordered_map<std::string, Entry> names_;
  std::function<void(const DeadLetter&)> dead_letter_hook_;
  std::atomic<std::uint64_t> dead_letters_{0};
  std::atomic<bool> abandoned_{false};  // read only as actors stop
};

}  // namespace troupe::detail
