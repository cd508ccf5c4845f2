#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe::detail {

struct ActorCellBase::Relations {
  struct Child {
    ActorCellBase* cell;            // retained
    std::vector<Instant> restarts;  // one-for-one restart times, for the intensity limit
  };
  std::mutex mutex;                      // guards everything below
  std::vector<ActorCellBase*> watchers;  // retained
  std::vector<ActorCellBase*> links;     // retained
  std::vector<Child> children;
  std::vector<Instant> restarts;  // all-for-one (as supervisor) or top-level (self) restarts
  std::string name;
  std::exception_ptr exit_error;  // of an abnormal exit (the kind is in the cell)
  // The receive timeout (owner thread only): its length, and the timer
  // armed while the mailbox is empty.
  Duration receive_timeout = Duration::zero();
  std::optional<Sleep> idle_timer;
};

namespace {

// Keeps the restarts inside the window; true if one more stays within the
// limit (and records it).
bool allow_restart(std::vector<Instant>& restarts, const SupervisorStrategy& s, Instant now) {
  std::erase_if(restarts, [&](Instant t) { return now - t > s.within; });
  if (restarts.size() >= s.max_restarts) return false;
  restarts.push_back(now);
  return true;
}

void report(const char* what, ActorId id, const ExitReason& r) noexcept {
  try {
    std::fprintf(stderr, "troupe: actor %llu %s: %s\n", static_cast<unsigned long long>(id), what,
                 r.describe().c_str());
  } catch (...) {
  }
}

}  // namespace

ActorCellBase::ActorCellBase(SystemCore& system, ActorCellBase* parent,
                             const MailboxOptions& mailbox)
    : TaskHeader(system.scheduler(), 3),  // owner list, run queue, the first ActorRef
      mailbox_(mailbox.capacity),
      system_(&system),
      parent_(parent),
      id_(system.next_id()),
      overflow_(mailbox.overflow) {
  if (parent_) parent_->retain();
  system.actor_started();
}

ActorCellBase::~ActorCellBase() {
  free_system_messages();
  if (SystemMessage* m = system_head_.exchange(nullptr)) {
    system_local_ = m;
    free_system_messages();
  }
  delete relations_.load(std::memory_order_acquire);
  if (parent_) parent_->release();
}

ActorCellBase::Relations& ActorCellBase::relations() {
  Relations* r = relations_.load(std::memory_order_acquire);
  if (r) return *r;
  auto fresh = std::make_unique<Relations>();
  if (relations_.compare_exchange_strong(r, fresh.get(), std::memory_order_acq_rel)) {
    return *fresh.release();
  }
  return *r;  // another thread installed one first
}

// --- Producers ------------------------------------------------------------------

ActorCellBase::Offer ActorCellBase::offer(EnvelopeBase* e) noexcept {
  switch (mailbox_.reserve()) {
    case ChannelOutcome::kDone:
      switch (mailbox_.push(e)) {
        case Mailbox::Push::kPushedWake:
          wake();
          [[fallthrough]];
        case Mailbox::Push::kPushed:
          return Offer::kAccepted;
        case Mailbox::Push::kClosed:
          return Offer::kClosed;
      }
      return Offer::kClosed;
    case ChannelOutcome::kWouldBlock:
      return Offer::kFull;
    case ChannelOutcome::kClosed:
      break;
  }
  return Offer::kClosed;
}

TellStatus ActorCellBase::tell(EnvelopeBase* e) noexcept {
  switch (offer(e)) {
    case Offer::kAccepted:
      return TellStatus::kQueued;
    case Offer::kFull:
      if (overflow_ == Overflow::kDrop) {
        dead_letter(e, DeadLetterReason::kDropped, AskError::kMailboxFull);
        return TellStatus::kDropped;
      }
      dead_letter(e, DeadLetterReason::kMailboxFull, AskError::kMailboxFull);
      return TellStatus::kFull;
    case Offer::kClosed:
      break;
  }
  dead_letter(e, DeadLetterReason::kStopped, AskError::kDeadActor);
  return TellStatus::kDeadActor;
}

void ActorCellBase::dead_letter(EnvelopeBase* e, DeadLetterReason why, AskError ask) noexcept {
  system_->dead_letter(DeadLetter{id_, e->type().name(), why});
  e->refuse(ask);
  delete e;
}

void ActorCellBase::post(SystemMessage::Kind kind, ActorCellBase* from,
                         ExitReason reason) noexcept {
  auto* m = new SystemMessage{{}, kind, from, from ? from->id() : 0, std::move(reason)};
  if (from) from->retain();
  push_system(m);
}

void ActorCellBase::post_remote_down(ActorId id, std::uint64_t node, ExitReason reason) noexcept {
  push_system(
      new SystemMessage{{}, SystemMessage::Kind::kDown, nullptr, id, std::move(reason), node});
}

void ActorCellBase::post_remote_exit(ActorId id, std::uint64_t node, ExitReason reason) noexcept {
  push_system(
      new SystemMessage{{}, SystemMessage::Kind::kExit, nullptr, id, std::move(reason), node});
}

void ActorCellBase::push_system(SystemMessage* m) noexcept {
  SystemMessage* head = system_head_.load(std::memory_order_relaxed);
  do {
    m->next = head;
  } while (!system_head_.compare_exchange_weak(head, m, std::memory_order_release,
                                               std::memory_order_relaxed));
  wake();
}

void ActorCellBase::stop_gracefully() noexcept {
  if (mailbox_.close()) wake();  // it may be parked on the empty mailbox
}

void ActorCellBase::add_monitor(ActorCellBase& watcher) {
  Relations& r = relations();
  {
    std::lock_guard lock(r.mutex);
    if (!stopped_.load(std::memory_order_acquire)) {
      watcher.retain();
      r.watchers.push_back(&watcher);
      return;
    }
  }
  watcher.post(SystemMessage::Kind::kDown, this, exit_reason());  // already gone
}

void ActorCellBase::link(ActorCellBase& a, ActorCellBase& b) {
  // Each side adds the other unless it has already stopped, in which case
  // the survivor gets the Exit the stopped side would have sent.
  auto add = [](ActorCellBase& self, ActorCellBase& other) {
    Relations& r = self.relations();
    std::lock_guard lock(r.mutex);
    if (self.stopped_.load(std::memory_order_acquire)) return false;
    other.retain();
    r.links.push_back(&other);
    return true;
  };
  if (!add(a, b)) {
    if (a.exit_reason().is_abnormal()) b.post(SystemMessage::Kind::kExit, &a, a.exit_reason());
    return;
  }
  if (!add(b, a) && b.exit_reason().is_abnormal()) {
    a.post(SystemMessage::Kind::kExit, &b, b.exit_reason());
  }
}

// --- The actor's own thread -------------------------------------------------------

void ActorCellBase::request_stop(ExitReason reason) noexcept {
  if (stop_requested_) return;
  stop_requested_ = true;
  set_exit_reason(reason);
}

void ActorCellBase::adopt_child(ActorCellBase& child) {
  Relations& r = relations();
  child.retain();
  std::lock_guard lock(r.mutex);
  r.children.push_back({&child, {}});
}

void ActorCellBase::start(ActorCellBase& cell) {
  Scheduler& s = *cell.scheduler;
  const bool accepted = cell.parent_ != nullptr || cell.system_->add_top_level(cell);
  if (accepted && s.bind(cell)) {
    s.schedule(cell, ScheduleHint::kSpawn);
    return;
  }
  // The system or the runtime is shutting down: the actor never runs.
  if (accepted && cell.parent_ == nullptr) cell.system_->remove_top_level(cell);
  cell.owner_shard = kUnowned;
  cell.release();  // the owner list's reference, unused
  cell.cancel();
  cell.run();  // destroy_frame() here
}

bool ActorCellBase::set_name(const std::string& name) {
  Relations& r = relations();
  std::lock_guard lock(r.mutex);
  if (stopped_.load(std::memory_order_acquire) || !r.name.empty()) return false;
  r.name = name;
  return true;
}

// --- The message loop ------------------------------------------------------------

bool ActorCellBase::poll() noexcept {
  // Messages per run before giving the worker to other tasks (Tokio's task
  // budget is 128 too: long enough that a backlog is worked off while its
  // nodes are still in the cache, short enough for fairness).
  constexpr int kBudget = 128;
  int budget = kBudget;
  for (;;) {
    if (system_head_.load(std::memory_order_acquire) != nullptr) take_system();
    if (handler_running() && stop_pending()) current_.reset();  // a stop cancels it
    while (system_local_ != nullptr && !handler_running()) {
      SystemMessage* m = std::exchange(system_local_, system_local_->next);
      handle_system(*m);
      if (m->from) m->from->release();
      delete m;
      if (phase_ == Phase::kDone) return true;
    }
    if (phase_ == Phase::kDone) return true;

    if (handler_running()) {
      if (!driver.advance() || !current_.handle().done()) return false;  // it waits
      finish_handler();
      continue;
    }
    if (stop_requested_ && phase_ == Phase::kRunning) {
      stop_requested_ = false;
      begin_stop(exit_reason());
      continue;
    }
    switch (phase_) {
      case Phase::kStarting:
        phase_ = Phase::kRunning;
        try {
          run_task(start_instance());
        } catch (...) {
          fail(std::current_exception());
        }
        continue;
      case Phase::kSuspended:
      case Phase::kStopping:
        return false;  // only a system message moves it on
      case Phase::kDone:
        return true;
      case Phase::kRunning:
        break;
    }
    if (--budget == 0) {
      wake();  // while running: it is queued again after this run
      return false;
    }
    ChannelOutcome outcome;
    Context cx(*this);
    MpscNode* node = mailbox_.poll(outcome, [] { return true; });
    if (node == nullptr) {
      if (outcome == ChannelOutcome::kClosed) {
        begin_stop(ExitReason::normal());  // a graceful stop, drained
        continue;
      }
      if (idle_timed_out(cx)) {
        try {
          deliver_receive_timeout();
        } catch (...) {
          fail(std::current_exception());
        }
        continue;
      }
      return false;  // parked: the next push, post or the idle timer wakes it
    }
    if (Relations* r = relations_.load(std::memory_order_acquire); r && r->idle_timer) {
      r->idle_timer.reset();  // a message came: the idle clock starts over
    }
    auto* e = static_cast<EnvelopeBase*>(node);
    Task<void> t;
    try {
      t = deliver(*e);
    } catch (...) {
      delete e;
      fail(std::current_exception());
      continue;
    }
    delete e;
    if (t) run_task(std::move(t));
  }
}

void ActorCellBase::run_task(Task<void> t) noexcept {
  if (!t) return;
  current_ = std::move(t);
  auto h = current_.handle();
  h.promise().set_driver(&driver, {});
  driver.park(h, nullptr, nullptr);
}

void ActorCellBase::finish_handler() noexcept {
  Task<void> done = std::move(current_);
  try {
    done.handle().promise().result.get();
  } catch (...) {
    fail(std::current_exception());
  }
}

void ActorCellBase::set_receive_timeout(Duration d) {
  Relations& r = relations();
  r.receive_timeout = d;
  r.idle_timer.reset();
}

// With a receive timeout set and the mailbox empty: arms the idle timer (or
// polls it); true once it has fired (it is then disarmed).
bool ActorCellBase::idle_timed_out(Context& cx) noexcept {
  Relations* r = relations_.load(std::memory_order_acquire);
  if (r == nullptr || r->receive_timeout <= Duration::zero()) return false;
  if (!r->idle_timer) r->idle_timer.emplace(sleep_for(r->receive_timeout));
  if (!r->idle_timer->poll(cx)) return false;
  r->idle_timer.reset();
  return true;
}

ExitReason ActorCellBase::exit_reason() const noexcept {
  Relations* r = relations_.load(std::memory_order_acquire);
  return ExitReason::of(exit_kind_, r ? r->exit_error : nullptr);
}

void ActorCellBase::set_exit_reason(const ExitReason& reason) noexcept {
  exit_kind_ = reason.kind();
  if (reason.error()) {
    try {
      relations().exit_error = reason.error();
    } catch (...) {  // no memory for the error itself: the kind remains
    }
  } else if (Relations* r = relations_.load(std::memory_order_acquire)) {
    r->exit_error = nullptr;
  }
}

bool ActorCellBase::stop_pending() const noexcept {
  for (SystemMessage* m = system_local_; m != nullptr; m = m->next) {
    if (m->kind == SystemMessage::Kind::kStop) return true;
  }
  return false;
}

void ActorCellBase::take_system() noexcept {
  SystemMessage* stack = system_head_.exchange(nullptr, std::memory_order_acquire);
  SystemMessage* fifo = nullptr;
  while (stack != nullptr) {
    SystemMessage* next = stack->next;
    stack->next = fifo;
    fifo = stack;
    stack = next;
  }
  SystemMessage** tail = &system_local_;
  while (*tail != nullptr) tail = &(*tail)->next;
  *tail = fifo;
}

void ActorCellBase::free_system_messages() noexcept {
  while (SystemMessage* m = system_local_) {
    system_local_ = m->next;
    if (m->from) m->from->release();
    delete m;
  }
}

void ActorCellBase::handle_system(SystemMessage& m) noexcept {
  using Kind = SystemMessage::Kind;
  switch (m.kind) {
    case Kind::kStop:
      begin_stop(m.reason);
      return;
    case Kind::kRestart:
      if (phase_ == Phase::kRunning || phase_ == Phase::kSuspended) restart();
      return;
    case Kind::kChildFailed:
      if (phase_ == Phase::kRunning || phase_ == Phase::kSuspended) supervise(*m.from, m.reason);
      return;
    case Kind::kChildStopped: {
      Relations& r = relations();
      bool last;
      {
        std::lock_guard lock(r.mutex);
        auto it = std::find_if(r.children.begin(), r.children.end(),
                               [&](const Relations::Child& c) { return c.cell == m.from; });
        if (it != r.children.end()) {
          it->cell->release();
          r.children.erase(it);
        }
        last = r.children.empty();
      }
      if (last && phase_ == Phase::kStopping) finalize();
      return;
    }
    case Kind::kDown:
    case Kind::kExit:
      break;
  }
  if (phase_ != Phase::kRunning) return;  // Down/Exit only reach a running instance
  try {
    if (m.kind == Kind::kDown) {
      deliver_down(Down{m.from_id, m.reason, m.from_node});
    } else if (!deliver_exit(Exit{m.from_id, m.reason})) {
      begin_stop(ExitReason::linked(m.reason.error()));
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

// A handler (or on_start) threw: the supervisor decides what happens next.
void ActorCellBase::fail(std::exception_ptr e) noexcept {
  current_.reset();
  if (phase_ == Phase::kStopping || phase_ == Phase::kDone) return;
  const ExitReason reason = ExitReason::failed(e);
  if (parent_) {
    phase_ = Phase::kSuspended;
    set_exit_reason(reason);
    parent_->post(SystemMessage::Kind::kChildFailed, this, reason);
    return;
  }
  // A top-level actor: the system's strategy, applied here.
  const SupervisorStrategy& s = system_->top_level_strategy();
  bool restart_it = false;
  try {
    if (s.decide(e) == Directive::kRestart) {
      Relations& r = relations();
      std::lock_guard lock(r.mutex);
      restart_it = allow_restart(r.restarts, s, scheduler->now());
    }
  } catch (...) {
  }
  if (restart_it) {
    restart();
  } else {
    report("stopped", id_, reason);
    begin_stop(reason);
  }
}

void ActorCellBase::restart() noexcept {
  current_.reset();
  const ExitReason why = exit_reason();
  stop_instance(why.is_abnormal() ? why : ExitReason::stopped());
  // The old instance's children go with it; the new one makes its own.
  if (Relations* r = relations_.load(std::memory_order_acquire)) {
    std::lock_guard lock(r->mutex);
    for (auto& c : r->children) c.cell->stop_now(ExitReason::stopped());
  }
  stop_requested_ = false;
  set_exit_reason(ExitReason::normal());
  phase_ = Phase::kStarting;
}

void ActorCellBase::supervise(ActorCellBase& child, const ExitReason& reason) noexcept {
  Directive d = Directive::kEscalate;
  SupervisorStrategy s;
  try {
    s = supervisor_strategy();
    d = s.decide(reason.error());
  } catch (...) {
  }
  const bool all = s.scope == SupervisorStrategy::Scope::kAllForOne;
  Relations& r = relations();
  if (d == Directive::kRestart) {
    std::lock_guard lock(r.mutex);
    auto it = std::find_if(r.children.begin(), r.children.end(),
                           [&](const Relations::Child& c) { return c.cell == &child; });
    if (it == r.children.end()) return;  // already gone
    if (!allow_restart(all ? r.restarts : it->restarts, s, scheduler->now())) {
      d = Directive::kEscalate;
    }
  }
  switch (d) {
    case Directive::kRestart:
    case Directive::kStop: {
      const auto kind =
          d == Directive::kRestart ? SystemMessage::Kind::kRestart : SystemMessage::Kind::kStop;
      std::lock_guard lock(r.mutex);
      for (auto& c : r.children) {
        if (c.cell == &child) {
          c.cell->post(kind, this, reason);
        } else if (all) {
          c.cell->post(kind, this, ExitReason::stopped());
        }
      }
      return;
    }
    case Directive::kEscalate:
      fail(reason.error());  // this supervisor fails; its own supervisor decides
      return;
  }
}

void ActorCellBase::begin_stop(ExitReason reason) noexcept {
  if (phase_ == Phase::kStopping || phase_ == Phase::kDone) return;
  current_.reset();
  set_exit_reason(reason);
  discard_mailbox();
  phase_ = Phase::kStopping;
  bool no_children = true;
  if (Relations* r = relations_.load(std::memory_order_acquire)) {
    std::lock_guard lock(r->mutex);
    for (auto& c : r->children)
      c.cell->stop_now(exit_kind_ == ExitReason::Kind::kShutdown ? ExitReason::shutdown()
                                                                 : ExitReason::stopped());
    no_children = r->children.empty();
  }
  if (no_children) finalize();  // else when the last ChildStopped arrives
}

void ActorCellBase::finalize() noexcept {
  const ExitReason why = exit_reason();
  stop_instance(why);
  release_args();
  if (Relations* r = relations_.load(std::memory_order_acquire)) r->idle_timer.reset();
  stopped_.store(true, std::memory_order_release);
  std::vector<ActorCellBase*> watchers;
  std::vector<ActorCellBase*> links;
  std::string name;
  if (Relations* r = relations_.load(std::memory_order_acquire)) {
    std::lock_guard lock(r->mutex);
    watchers.swap(r->watchers);
    links.swap(r->links);
    name.swap(r->name);
  }
  for (ActorCellBase* w : watchers) {
    w->post(SystemMessage::Kind::kDown, this, why);
    w->release();
  }
  for (ActorCellBase* l : links) {
    if (why.is_abnormal()) l->post(SystemMessage::Kind::kExit, this, why);
    l->release();
  }
  if (parent_) {
    parent_->post(SystemMessage::Kind::kChildStopped, this, why);
  } else {
    system_->remove_top_level(*this);
  }
  if (!name.empty()) system_->unregister(name, *this);
  free_system_messages();
  phase_ = Phase::kDone;
  system_->actor_finished();  // last: the system may go once none is left
}

void ActorCellBase::discard_mailbox() noexcept {
  mailbox_.discard_all([this](MpscNode* n) {
    dead_letter(static_cast<EnvelopeBase*>(n), DeadLetterReason::kStopped, AskError::kDeadActor);
  });
}

// The runtime under the actor shuts down (or the actor never started): no
// time for an orderly stop, but nothing may leak and asks must not hang.
void ActorCellBase::destroy_frame() noexcept {
  if (phase_ == Phase::kDone) return;
  current_.reset();
  discard_mailbox();
  stop_instance(ExitReason::shutdown());
  release_args();
  if (Relations* r = relations_.load(std::memory_order_acquire)) r->idle_timer.reset();
  set_exit_reason(ExitReason::shutdown());
  stopped_.store(true, std::memory_order_release);
  std::vector<ActorCellBase*> refs;
  std::string name;
  if (Relations* r = relations_.load(std::memory_order_acquire)) {
    std::lock_guard lock(r->mutex);
    refs.swap(r->watchers);
    refs.insert(refs.end(), r->links.begin(), r->links.end());
    r->links.clear();
    for (auto& c : r->children) refs.push_back(c.cell);
    r->children.clear();
    name.swap(r->name);
  }
  for (ActorCellBase* c : refs) c->release();
  if (!parent_) system_->remove_top_level(*this);
  if (!name.empty()) system_->unregister(name, *this);
  free_system_messages();
  phase_ = Phase::kDone;
  system_->actor_finished();
}

}  // namespace troupe::detail
