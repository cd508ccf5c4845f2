#include <cstdio>
#include <utility>
#include <vector>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/system_core.hpp>
#include <troupe/runtime/detail/metrics_counters.hpp>
#include <troupe/runtime/log.hpp>

namespace troupe::detail {

void SystemCore::log(const std::string& line) const noexcept {
  if (!log_) {
    troupe::log(LogLevel::kError, "actor", line);
    return;
  }
  try {
    log_(line);
  } catch (...) {  // a failing hook must not take the actor down with it
  }
}

void SystemCore::actor_finished() noexcept {
  // Release: an actor's end happens before whoever sees the count drop
  // (shutdown's wait); acquire: so does every earlier one's, for the last.
  if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1) live_.notify_all();
}

void SystemCore::wait_until_none_alive() const noexcept {
  // Acquire: pairs with actor_finished.
  for (std::size_t n = live_.load(std::memory_order_acquire); n != 0;
       n = live_.load(std::memory_order_acquire)) {
    live_.wait(n, std::memory_order_acquire);
  }
}

bool SystemCore::add_top_level(ActorCellBase& cell) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  cell.top_level_slot_ = static_cast<std::uint32_t>(top_level_cells_.size());
  top_level_cells_.emplace_back(cell);
  return true;
}

void SystemCore::remove_top_level(ActorCellBase& cell) noexcept {
  CellPtr gone;  // released outside the lock
  std::lock_guard lock(mutex_);
  const std::uint32_t slot = cell.top_level_slot_;
  if (slot >= top_level_cells_.size() || top_level_cells_[slot] != &cell) return;
  gone = std::move(top_level_cells_[slot]);
  if (slot + 1 != top_level_cells_.size()) {
    top_level_cells_[slot] = std::move(top_level_cells_.back());
    top_level_cells_[slot]->top_level_slot_ = slot;
  }
  top_level_cells_.pop_back();
  cell.top_level_slot_ = ActorCellBase::kNoSlot;
}

std::vector<CellPtr> SystemCore::top_level() const {
  std::lock_guard lock(mutex_);
  return top_level_cells_;
}

void SystemCore::stop_all() noexcept {
  std::vector<CellPtr> cells;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    cells = top_level_cells_;
  }
  for (const CellPtr& c : cells) c->stop_now(ExitReason::shutdown());
}

bool SystemCore::register_name(std::string name, ActorCellBase& cell, std::type_index type) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = names_.try_emplace(name, Entry{&cell, type});
  if (!inserted) return false;
  // The cell's own record of its name is what frees it when it stops; a
  // cell that already stopped (or has a name) is refused.
  if (!cell.set_name(name)) {
    names_.erase(it);
    return false;
  }
  return true;
}

CellPtr SystemCore::lookup(std::string_view name, std::type_index type) const {
  std::lock_guard lock(mutex_);
  auto it = names_.find(std::string(name));
  if (it == names_.end() || it->second.type != type) return nullptr;
  return CellPtr(*it->second.cell);
}

CellPtr SystemCore::lookup_any(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = names_.find(std::string(name));
  if (it == names_.end()) return nullptr;
  return CellPtr(*it->second.cell);
}

void SystemCore::unregister(const std::string& name, const ActorCellBase& cell) noexcept {
  std::lock_guard lock(mutex_);
  auto it = names_.find(name);
  if (it != names_.end() && it->second.cell == &cell) names_.erase(it);
}

void SystemCore::dead_letter(const DeadLetter& d) noexcept {
  dead_letters_.fetch_add(1, std::memory_order_relaxed);  // a count: orders nothing
  count_dead_letter(static_cast<std::size_t>(d.reason));  // by reason, for metrics
  std::function<void(const DeadLetter&)> hook;
  {
    std::lock_guard lock(mutex_);
    if (!dead_letter_hook_) return;
    hook = dead_letter_hook_;
  }
  try {
    hook(d);
  } catch (...) {
    // A failing hook must not take the sender down with it.
  }
}

void SystemCore::set_dead_letter_hook(std::function<void(const DeadLetter&)> hook) {
  std::lock_guard lock(mutex_);
  dead_letter_hook_ = std::move(hook);
}

}  // namespace troupe::detail
