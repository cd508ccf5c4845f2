// The live dump: reads every actor of a system from outside its loop (see
// CellInspector), and finds the cycles of the wait-for graph.

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include <cxxabi.h>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_extras.hpp>
#include <troupe/actor/detail/cell_inspector.hpp>

namespace troupe::detail {

namespace {

std::string demangle(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> s(abi::__cxa_demangle(t.name(), nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && s ? std::string(s.get()) : std::string(t.name());
}

// A loop actor's cell is LoopCell<M>: shown as "loop<M>".
std::string class_name(const std::type_info& t) {
  std::string s = demangle(t);
  constexpr std::string_view kLoop = "troupe::detail::LoopCell<";
  if (s.rfind(kLoop, 0) == 0) s.replace(0, kLoop.size(), "loop<");
  return s;
}

// A worker may be running an actor the dump wants to read: a few tries
// (its turn usually ends within microseconds), then it is shown running.
constexpr int kHoldTries = 16;

}  // namespace

PendingAsks& CellInspector::pending_asks(ActorCellBase& cell) {
  // Acquire: see ActorCellBase::extras(), which makes them on first use.
  if (CellExtras* x = cell.extras_.load(std::memory_order_acquire)) return x->asks;
  return cell.extras().asks;
}

// An actor's ask, at its first poll (PendingAsk::start). Here, so that the
// way to the actor's list is inlined.
void PendingAsk::link(Context& cx, const Sleep* deadline) noexcept {
  // The tag says the polling task is an actor's cell, and the poll means
  // its worker holds it: its extras are this thread's to use.
  auto& cell = static_cast<ActorCellBase&>(cx.task());
  PendingAsks* list = nullptr;
  try {
    list = &CellInspector::pending_asks(cell);
  } catch (...) {
    return;  // no memory for the extras: the ask goes unlisted
  }
  deadline_ = deadline;
  list->push(*this);
}

SystemDump CellInspector::dump(SystemCore& core) {
  SystemDump out;
  const Instant now = core.scheduler().now();
  std::vector<std::pair<ActorId, ActorId>> local_edges;

  // Breadth-first from the top-level actors: parents before children.
  std::deque<CellPtr> todo;
  for (CellPtr& c : core.top_level()) todo.push_back(std::move(c));
  while (!todo.empty()) {
    const CellPtr cell = std::move(todo.front());
    todo.pop_front();
    if (cell->stopped()) continue;
    ActorInfo info;
    info.id = cell->id();
    info.class_name = class_name(cell->actor_type());
    info.parent = cell->parent_ ? cell->parent_->id() : 0;
    // Acquire: see ActorCellBase::extras().
    if (CellExtras* x = cell->extras_.load(std::memory_order_acquire)) {
      info.name = x->relations.name();
      x->relations.for_each_child([&](ActorCellBase& child) { todo.emplace_back(child); });
    }

    bool held = false;
    for (int i = 0; i < kHoldTries && !(held = cell->try_hold()); ++i) std::this_thread::yield();
    if (!held) {
      const TaskState::Word w = cell->state.load();
      if (w & TaskState::kComplete) continue;  // gone meanwhile
      info.state = (w & TaskState::kRunning) ? ActorState::kRunning : ActorState::kScheduled;
      out.actors.push_back(std::move(info));
      continue;
    }
    // Held: no worker runs it until end_hold, and the hold's acquire made
    // what its last run wrote visible. Read its loop's state.
    bool gone = false;
    switch (cell->phase_) {
      case ActorPhase::kStarting:
        info.state = ActorState::kStarting;
        break;
      case ActorPhase::kRunning:
        // A loop actor's loop is a handler that waits on the mailbox: with
        // the mailbox parked (empty, armed) it is idle, not waiting.
        info.state = !cell->handler_running() ? ActorState::kIdle
                     : cell->mailbox_.idle()  ? ActorState::kIdle
                                              : ActorState::kWaiting;
        if (cell->stop_requested_) info.state = ActorState::kStopping;
        break;
      case ActorPhase::kSuspended:
        info.state = ActorState::kSuspended;
        break;
      case ActorPhase::kStopping:
        info.state = ActorState::kStopping;
        break;
      case ActorPhase::kDone:
        gone = true;
        break;
    }
    if (!gone) {
      info.mailbox_depth = cell->mailbox_.count_walking();
      if (CellExtras* x = cell->extras_.load(std::memory_order_acquire)) {
        x->asks.for_each([&](PendingAsk& a) {
          AskEdge e;
          e.from = info.id;
          e.to = a.to();
          e.to_node = a.node();
          e.message_type = demangle(a.type());
          const auto [since, exact] = a.since(now);
          e.waiting_for =
              std::max(std::chrono::nanoseconds(0),
                       std::chrono::duration_cast<std::chrono::nanoseconds>(now - since));
          e.at_least = !exact;
          if (e.to_node.empty()) local_edges.emplace_back(e.from, e.to);
          out.asks.push_back(std::move(e));
        });
      }
    }
    cell->end_hold();
    if (!gone) out.actors.push_back(std::move(info));
  }
  out.cycles = find_cycles(local_edges);
  return out;
}

// Tarjan's strongly connected components; each component with a cycle
// (two or more actors, or one that asked itself) gives one cycle: the
// shortest way from its smallest id back to it.
std::vector<std::vector<ActorId>> find_cycles(
    const std::vector<std::pair<ActorId, ActorId>>& edges) {
  std::map<ActorId, std::vector<ActorId>> next;
  for (const auto& [from, to] : edges) {
    next[from].push_back(to);
    next.try_emplace(to);
  }
  struct Mark {
    int index = -1;
    int low = 0;
    bool on_stack = false;
  };
  std::map<ActorId, Mark> mark;
  std::vector<ActorId> stack;
  std::vector<std::vector<ActorId>> components;
  int counter = 0;

  // Iterative, so that a long chain of asks cannot overflow the stack.
  for (const auto& [root, unused] : next) {
    (void)unused;
    if (mark[root].index >= 0) continue;
    std::vector<std::pair<ActorId, std::size_t>> frames{{root, 0}};
    mark[root] = Mark{counter, counter, true};
    ++counter;
    stack.push_back(root);
    while (!frames.empty()) {
      auto& [v, i] = frames.back();
      const std::vector<ActorId>& out = next[v];
      if (i < out.size()) {
        const ActorId w = out[i++];
        Mark& mw = mark[w];
        if (mw.index < 0) {
          mw = Mark{counter, counter, true};
          ++counter;
          stack.push_back(w);
          frames.emplace_back(w, 0);
        } else if (mw.on_stack) {
          mark[v].low = std::min(mark[v].low, mw.index);
        }
        continue;
      }
      const ActorId done = v;
      frames.pop_back();
      if (!frames.empty()) {
        Mark& parent = mark[frames.back().first];
        parent.low = std::min(parent.low, mark[done].low);
      }
      if (mark[done].low == mark[done].index) {
        std::vector<ActorId> component;
        ActorId w = 0;
        do {
          w = stack.back();
          stack.pop_back();
          mark[w].on_stack = false;
          component.push_back(w);
        } while (w != done);
        components.push_back(std::move(component));
      }
    }
  }

  std::vector<std::vector<ActorId>> cycles;
  for (const std::vector<ActorId>& component : components) {
    const ActorId start = *std::min_element(component.begin(), component.end());
    const std::vector<ActorId>& from_start = next[start];
    if (component.size() == 1) {
      if (std::find(from_start.begin(), from_start.end(), start) != from_start.end()) {
        cycles.push_back({start});
      }
      continue;
    }
    // Breadth-first inside the component from `start` back to it.
    const std::set<ActorId> in(component.begin(), component.end());
    std::map<ActorId, ActorId> came_from;
    std::deque<ActorId> queue{start};
    bool closed = false;
    ActorId last = start;
    while (!queue.empty() && !closed) {
      const ActorId v = queue.front();
      queue.pop_front();
      for (ActorId w : next[v]) {
        if (w == start) {
          last = v;
          closed = true;
          break;
        }
        if (in.count(w) && came_from.try_emplace(w, v).second) queue.push_back(w);
      }
    }
    std::vector<ActorId> cycle;
    for (ActorId v = last; v != start; v = came_from[v]) cycle.push_back(v);
    cycle.push_back(start);
    std::reverse(cycle.begin(), cycle.end());
    cycles.push_back(std::move(cycle));
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

}  // namespace troupe::detail
