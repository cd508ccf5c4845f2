#pragma once

namespace troupe::detail {

/// One turn of a spin-wait: the PAUSE instruction on x86 (YIELD on ARM),
/// which tells the core that this is a wait loop, so it spends less power
/// and leaves the pipeline (and a hyperthread sibling) to others.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

}  // namespace troupe::detail
