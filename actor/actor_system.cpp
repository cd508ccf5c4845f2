#include <stdexcept>

#include <troupe/actor/actor_system.hpp>

namespace troupe {

namespace detail {
ActorCellBase*& constructing_cell() noexcept {
  thread_local ActorCellBase* cell = nullptr;
  return cell;
}
}  // namespace detail

ActorSystem::ActorSystem(ActorSystemOptions options)
    : owned_runtime_(std::make_unique<Runtime>(RuntimeOptions{options.workers})),
      runtime_(owned_runtime_.get()),
      core_(std::make_unique<detail::SystemCore>(
          runtime_->scheduler(), std::move(options.top_level), std::move(options.log))) {}

ActorSystem::ActorSystem(Runtime& runtime, ActorSystemOptions options)
    : runtime_(&runtime),
      core_(std::make_unique<detail::SystemCore>(runtime.scheduler(), std::move(options.top_level),
                                                 std::move(options.log))) {}

ActorSystem::ActorSystem(detail::DrivenScheduler& executor, ActorSystemOptions options)
    : driven_(&executor),
      core_(std::make_unique<detail::SystemCore>(executor, std::move(options.top_level),
                                                 std::move(options.log))) {}

ActorSystem::~ActorSystem() { shutdown(); }

Runtime& ActorSystem::runtime() {
  if (runtime_ == nullptr)
    throw std::logic_error("troupe: this ActorSystem runs on a TestExecutor or a simulation");
  return *runtime_;
}

void ActorSystem::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  core_->stop_all();
  if (driven_) {
    driven_->run_until_idle();
  } else {
    core_->wait_until_none_alive();
  }
  // The owned runtime goes now, before the state its tasks may still use.
  if (owned_runtime_) owned_runtime_->shutdown();
}

}  // namespace troupe
