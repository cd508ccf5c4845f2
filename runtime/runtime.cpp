#include <stdexcept>
#include <string>
#include <thread>

#include <troupe/runtime/detail/executor.hpp>
#include <troupe/runtime/runtime.hpp>

namespace troupe {

namespace {
std::size_t default_workers(std::size_t requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}
}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : executor_(std::make_unique<detail::Executor>(default_workers(options.workers))) {}

Runtime::~Runtime() { shutdown(); }

void Runtime::shutdown() { executor_->shutdown(); }

std::size_t Runtime::worker_count() const noexcept { return executor_->worker_count(); }
std::size_t Runtime::live_tasks() const noexcept { return executor_->live_tasks(); }
detail::Scheduler& Runtime::scheduler() noexcept { return *executor_; }

void Runtime::check_not_on_worker(const char* what) const {
  if (executor_->on_worker_thread()) {
    throw std::logic_error(std::string("troupe: Runtime::") + what +
                           " called from one of the runtime's own tasks (it would deadlock)");
  }
}

}  // namespace troupe
