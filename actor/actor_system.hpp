#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/actor/dead_letter.hpp>
#include <troupe/actor/detail/actor_cell_of.hpp>
#include <troupe/actor/detail/loop_cell.hpp>
#include <troupe/actor/detail/system_core.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/actor/supervisor_strategy.hpp>
#include <troupe/actor/system_dump.hpp>
#include <troupe/runtime/detail/driven_scheduler.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

class TestExecutor;

/// How an ActorSystem is set up.
struct ActorSystemOptions {
  /// Worker threads of the runtime it creates (0: one per hardware thread).
  std::size_t workers = 0;
  /// What happens to a top-level actor (one with no parent) that fails: by
  /// default it stops (and the failure is reported through `log`); a
  /// strategy with a restarting decider restarts it within the intensity
  /// limit.
  SupervisorStrategy top_level = SupervisorStrategy::one_for_one().with_decider(
      [](const std::exception_ptr&) { return Directive::kStop; });
  /// Where the actors report what nobody else would see (a top-level
  /// actor stopped by a failure, an on_stop that threw), one line each,
  /// called on runtime threads. Default: the framework's log
  /// (troupe::log, runtime/log.hpp), as errors of component "actor".
  std::function<void(const std::string&)> log{};
};

/// The home of a set of actors: spawns them, names them, counts their
/// dead letters, and stops them all on shutdown.
///
/// By default it owns a Runtime (the worker threads); it can also run on a
/// Runtime, a TestExecutor or a simulation's SimScheduler it borrows.
/// Destroying it shuts it down.
/// Thread-safe, except shutdown (call it once, from outside the runtime).
/// ActorRefs must not be used once their system is destroyed.
class ActorSystem {
 public:
  explicit ActorSystem(ActorSystemOptions options = {});
  /// Runs the actors on `runtime`, which must outlive the system.
  explicit ActorSystem(Runtime& runtime, ActorSystemOptions options = {});
  /// Runs the actors on a scheduler the caller drives on one thread: a
  /// TestExecutor (deterministic tests) or a simulation's SimScheduler
  /// (sim/), which must outlive the system.
  explicit ActorSystem(detail::DrivenScheduler& executor, ActorSystemOptions options = {});
  ActorSystem(const ActorSystem&) = delete;
  ActorSystem& operator=(const ActorSystem&) = delete;
  ~ActorSystem();

  /// Starts a top-level actor of class A, made as `A(args...)` (and made
  /// again so on each restart).
  template <class A, class... Args>
  ActorRef<A> spawn(Args&&... args) {
    return spawn_with<A>(SpawnOptions{}, std::forward<Args>(args)...);
  }
  template <class A, class... Args>
  ActorRef<A> spawn_with(const SpawnOptions& options, Args&&... args) {
    return ActorRef<A>(
        detail::spawn_actor<A>(*core_, nullptr, options, std::forward<Args>(args)...));
  }

  /// Starts a top-level actor written as a loop: `loop(mailbox)` is a
  /// coroutine that reads its messages from `mailbox` (a stream), for as
  /// long as it likes; the actor stops when it returns.
  template <class M, class Loop>
  Address<M> spawn_loop(Loop loop, const SpawnOptions& options = {}) {
    return Address<M>(detail::ActorHandle(detail::spawn_loop_cell<M>(
        *core_, nullptr, options, typename detail::LoopCell<M>::Loop(std::move(loop)))));
  }

  /// Registers `ref` (a local actor) under `name`; false if the name is
  /// taken, the actor already has a name or has stopped, or it lives on
  /// another node. The name is freed when it stops.
  template <class A>
  bool register_name(std::string name, const ActorRef<A>& ref) {
    if (!ref.cell()) return false;
    return core_->register_name(std::move(name), *ref.cell(), typeid(A));
  }
  /// The actor registered under `name`, if there is one and its class is A
  /// (else an empty ref).
  template <class A>
  ActorRef<A> lookup(std::string_view name) const {
    return ActorRef<A>(core_->lookup(name, typeid(A)));
  }
  /// The same for loop actors: registers an Address, and finds the loop
  /// actor registered under `name` if its message type is M.
  template <class M>
  bool register_name(std::string name, const Address<M>& address) {
    auto* cell = address.handle().cell();
    return cell && core_->register_name(std::move(name), *cell, typeid(detail::LoopCell<M>));
  }
  template <class M>
  Address<M> lookup_address(std::string_view name) const {
    return Address<M>(detail::ActorHandle(core_->lookup(name, typeid(detail::LoopCell<M>))));
  }

  /// Runs `task` on the system's runtime and waits for it (from outside).
  template <class T>
  T block_on(Task<T> task) {
    return runtime().block_on(std::move(task));
  }
  /// The runtime the actors run on (not available on a TestExecutor).
  Runtime& runtime();
  /// True on a TestExecutor or a simulation: the owner's thread runs the
  /// actors when it drives the scheduler, so nothing may block that thread
  /// waiting for them (use Tasks there, not block_on or blocking waits).
  bool driven() const noexcept { return driven_ != nullptr; }

  /// Stops every actor (children before their parents; each runs on_stop,
  /// queued messages become dead letters) and returns once all are gone.
  /// Then stops the runtime if the system owns it. Idempotent.
  void shutdown();

  /// Actors started and not yet stopped.
  std::size_t live_actors() const noexcept { return core_->live(); }
  /// Messages that could not be delivered, so far.
  std::uint64_t dead_letters() const noexcept { return core_->dead_letters(); }
  /// A live dump: every actor (class, name, parent, mailbox depth, state),
  /// the pending asks between them, and the cycles among those (probable
  /// deadlocks); `to_text(system.dump())` for people. From any thread, a
  /// handler included; costs the actors nothing while no dump runs.
  SystemDump dump() const;
  /// Calls `hook` (on the sender's thread) for each dead letter from now on.
  void on_dead_letter(std::function<void(const DeadLetter&)> hook) {
    core_->set_dead_letter_hook(std::move(hook));
  }

  /// The shared state its actors run in, for the framework's other modules
  /// (remote nodes); applications have no use for it.
  detail::SystemCore& core() noexcept { return *core_; }

 private:
  std::unique_ptr<Runtime> owned_runtime_;
  Runtime* runtime_ = nullptr;
  detail::DrivenScheduler* driven_ = nullptr;
  std::unique_ptr<detail::SystemCore> core_;
  bool shut_down_ = false;
};

}  // namespace troupe
