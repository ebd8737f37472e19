#include "sim/pulp/cores/core_engine.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>

namespace wb::sim::pulp {

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// A core between its memory accesses. The engine is event driven at cycle resolution: a core
// runs its non-memory operations alone (nothing else can delay them), so only the cycles in
// which some requester asks for a bank are simulated, and a stretch where every core is in
// ALU work costs nothing but the walk over its operations.
struct CoreState {
  const CoreOp* op = nullptr;
  const CoreOp* end = nullptr;
  std::uint64_t next = kNever;  // the cycle of its next bank request; kNever when finished
  std::uint8_t part = 0;        // which access of a split operation is pending (0 or 1)
  bool at_barrier = false;
  std::uint64_t arrived = 0;    // at the barrier: the cycle its Barrier op issued (its latency is the barrier's)
};

bool is_split(const CoreOp& op) {
  const std::uint32_t offset = op.address & 3u;
  return (op.bytes == 4 && offset != 0) || (op.bytes == 2 && offset == 3);
}

// The cluster DMA's current burst on its L1 side: the words it still has to move, from
// `first_word` (the first not yet moved) over `words`, `moved` marking those already moved
// after first_word (a word it lost stays behind while later ones move).
struct DmaState {
  const DmaBurst* burst = nullptr;
  const DmaBurst* end = nullptr;
  std::uint64_t next = kNever;
  std::uint32_t first_word = 0, last_word = 0;  // [first_word, last_word) of L1 words
  std::uint64_t moved = 0;                      // bit i: word first_word + i has moved
};

class Engine {
 public:
  Engine(const std::vector<CoreProgram>& programs, int banks, const CorePipeline& pipeline, const DmaL1Traffic* dma)
      : pipeline_(pipeline),
        cores_(programs.size()),
        bank_mask_(static_cast<std::uint32_t>(banks) - 1),
        requests_(static_cast<std::size_t>(banks), 0),
        priority_(static_cast<std::size_t>(banks), 0) {
    dma_id_ = static_cast<std::uint32_t>(programs.size());
    while ((1u << tree_levels_) < dma_id_ + 1) ++tree_levels_;
    run_.cores.resize(programs.size());
    running_ = programs.size();
    for (std::size_t i = 0; i < programs.size(); ++i) {
      cores_[i].op = programs[i].data();
      cores_[i].end = programs[i].data() + programs[i].size();
      cores_[i].next = 0;
      advance(i, 0);
    }
    if (dma != nullptr && !dma->bursts.empty()) {
      dma_words_ = static_cast<std::uint32_t>(std::clamp(dma->bytes_per_cycle / 4, 1, std::min(banks, 32)));
      dma_.burst = dma->bursts.data();
      dma_.end = dma->bursts.data() + dma->bursts.size();
      start_burst(0);
    }
  }

  CallRun run() {
    touched_.reserve(cores_.size() + 32);
    due_.resize(cores_.size());
    for (;;) {
      if (running_ == 0 && waiting_ > 0) release_barrier();
      // The next cycle with a request, and the cores that ask in it.
      std::uint64_t t = dma_.next;
      std::uint32_t due = 0;
      for (std::uint32_t i = 0; i < cores_.size(); ++i) {
        const std::uint64_t next = cores_[i].next;
        if (next < t) {
          t = next;
          due = 0;
        }
        if (next == t) due_[due++] = i;
      }
      if (t == kNever) break;
      cycle(t, due);
    }
    for (const CoreRun& c : run_.cores) run_.cycles = std::max(run_.cycles, c.cycles);
    return run_;
  }

 private:
  // Runs core i's operations that need no bank from cycle `t`, up to its next memory access
  // (its request cycle) or its end.
  void advance(std::size_t i, std::uint64_t t) {
    CoreState& c = cores_[i];
    CoreRun& r = run_.cores[i];
    const CoreOp* op = c.op;
    std::uint64_t dots = 0;
    const CoreOp* const first = op;
    for (; op != c.end; ++op) {
      switch (op->kind) {
        case CoreOpKind::Load:
        case CoreOpKind::Store:
          goto memory;
        case CoreOpKind::DotProduct:
          ++dots;
          ++t;
          break;
        case CoreOpKind::Branch:
          t += 1 + static_cast<std::uint64_t>(pipeline_.branch_taken_cycles);
          break;
        case CoreOpKind::Divide:
          t += static_cast<std::uint64_t>(std::max(pipeline_.divide_cycles, 1));
          break;
        case CoreOpKind::Barrier:
          goto barrier;
        default:  // Alu, LoopSetup
          ++t;
          break;
      }
    }
    // Finished: its last operation completed at t.
    r.instructions += static_cast<std::uint64_t>(op - first);
    r.dot_products += dots;
    r.cycles = t;
    c.op = op;
    c.next = kNever;
    --running_;
    return;
  barrier:
    // Counted as one instruction, issued at t; nothing is granted while it waits.
    r.instructions += static_cast<std::uint64_t>(op - first) + 1;
    r.dot_products += dots;
    c.op = op + 1;
    c.next = kNever;
    c.at_barrier = true;
    c.arrived = t;
    --running_;
    ++waiting_;
    return;
  memory:
    r.instructions += static_cast<std::uint64_t>(op - first);
    r.dot_products += dots;
    c.op = op;
    c.part = 0;
    c.next = t;
  }

  // Every core is at the barrier or finished: the waiting ones go on together. No request was
  // pending, so no bank cycle is skipped; the DMA's bursts before the release ran meanwhile.
  void release_barrier() {
    std::uint64_t last = 0;
    for (const CoreState& c : cores_) {
      if (c.at_barrier) last = std::max(last, c.arrived);
    }
    const std::uint64_t release = last + static_cast<std::uint64_t>(std::max(pipeline_.barrier_cycles, 0));
    for (std::size_t i = 0; i < cores_.size(); ++i) {
      if (!cores_[i].at_barrier) continue;
      cores_[i].at_barrier = false;
      --waiting_;
      ++running_;
      advance(i, release);
    }
  }

  std::uint32_t bank_of_request(const CoreState& c) const {
    return ((c.op->address >> 2) + c.part) & bank_mask_;
  }

  void request(std::uint32_t bank, std::uint32_t requester) {
    if (requests_[bank] == 0) touched_.push_back(bank);
    requests_[bank] |= std::uint64_t{1} << requester;
  }

  // The DMA's words requested this cycle: the first dma_words_ not yet moved.
  std::uint32_t dma_requested_[32]{};
  std::uint32_t dma_requested_count_ = 0;

  void cycle(std::uint64_t t, std::uint32_t due) {
    for (std::uint32_t k = 0; k < due; ++k) request(bank_of_request(cores_[due_[k]]), due_[k]);
    dma_requested_count_ = 0;
    if (dma_.next == t) {
      const std::uint32_t window = std::min<std::uint32_t>(dma_.last_word - dma_.first_word, 64);
      for (std::uint32_t k = 0; k < window && dma_requested_count_ < dma_words_; ++k) {
        if ((dma_.moved >> k & 1u) == 0) {
          dma_requested_[dma_requested_count_++] = k;
          request((dma_.first_word + k) & bank_mask_, dma_id_);
        }
      }
    }
    for (const std::uint32_t bank : touched_) {
      const std::uint64_t m = requests_[bank];
      if ((m & (m - 1)) == 0) {
        // One requester (most cycles): the tree grants it, and the fair update favours it next
        // (next_priority of a single request); the mask already names the one granted.
        priority_[bank] = static_cast<std::uint8_t>(std::countr_zero(m));
        continue;
      }
      requests_[bank] = std::uint64_t{1} << arbitrate(m, priority_[bank]);  // now: the granted requester
      priority_[bank] = next_priority(m, priority_[bank]);
    }
    for (std::uint32_t k = 0; k < due; ++k) {
      const std::uint32_t i = due_[k];
      CoreState& c = cores_[i];
      const std::uint32_t bank = bank_of_request(c);
      const std::uint64_t granted = requests_[bank];
      if (granted == std::uint64_t{1} << i) {
        complete_access(i, t);
      } else {
        CoreRun& r = run_.cores[i];
        (granted >> dma_id_ & 1u) != 0 ? ++r.dma_conflict_cycles : ++r.bank_conflict_cycles;
        c.next = t + 1;
      }
    }
    if (dma_requested_count_ > 0) dma_cycle(t);
    for (const std::uint32_t bank : touched_) requests_[bank] = 0;
    touched_.clear();
  }

  void complete_access(std::uint32_t i, std::uint64_t t) {
    CoreState& c = cores_[i];
    const CoreOp& op = *c.op;
    if (c.part == 0 && is_split(op)) {
      c.part = 1;
      c.next = t + 1;
      return;
    }
    CoreRun& r = run_.cores[i];
    ++r.instructions;
    if (op.kind == CoreOpKind::Load) {
      ++r.loads;
    } else {
      ++r.stores;
    }
    if (c.part == 1) ++r.split_accesses;
    std::uint64_t done = t + 1;
    if (op.kind == CoreOpKind::Load && op.feeds_next) {
      const auto stall = static_cast<std::uint64_t>(std::max(pipeline_.load_use_stall_cycles, 0));
      r.load_use_stall_cycles += stall;
      done += stall;
    }
    ++c.op;
    advance(i, done);
  }

  // The requester a bank grants among `requests`, as a round-robin arbitration tree does
  // (pulp-platform/common_cells rr_arb_tree, the arbiter PULP's TCDM interconnects are built
  // from): from the root, each node takes its upper subtree when the lower has no request, or
  // when both have one and the priority's bit for that level is set. So the favoured requester
  // wins when it asks; otherwise the tree's shape, not "the next one after it", decides.
  std::uint32_t arbitrate(std::uint64_t requests, std::uint32_t priority) const {
    std::uint32_t first = 0, width = 1u << tree_levels_;
    for (std::uint32_t level = 0; level < tree_levels_; ++level) {
      width >>= 1;
      const std::uint64_t half = width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
      const std::uint64_t lower = (requests >> first) & half;
      const std::uint64_t upper = first + width >= 64 ? 0 : (requests >> (first + width)) & half;
      const bool favour_upper = ((priority >> (tree_levels_ - 1 - level)) & 1u) != 0;
      if (lower == 0 || (upper != 0 && favour_upper)) first += width;
    }
    return first;
  }

  // rr_arb_tree's fair update (FairArb): after a grant the priority moves to the first
  // requester above it, else wraps to the lowest one.
  static std::uint32_t next_priority(std::uint64_t requests, std::uint32_t priority) {
    const std::uint64_t above = priority + 1 >= 64 ? 0 : requests & ~((std::uint64_t{2} << priority) - 1);
    return static_cast<std::uint32_t>(std::countr_zero(above != 0 ? above : requests));
  }

  void dma_cycle(std::uint64_t t) {
    bool lost = false;
    for (std::uint32_t k = 0; k < dma_requested_count_; ++k) {
      const std::uint32_t word = dma_requested_[k];
      if (requests_[(dma_.first_word + word) & bank_mask_] == std::uint64_t{1} << dma_id_) {
        dma_.moved |= std::uint64_t{1} << word;
      } else {
        lost = true;
      }
    }
    if (lost) ++run_.dma_stall_cycles;
    const auto leading = static_cast<std::uint32_t>(std::countr_one(dma_.moved));
    dma_.first_word += leading;
    dma_.moved = leading >= 64 ? 0 : dma_.moved >> leading;
    if (dma_.first_word >= dma_.last_word) {
      run_.dma_end_cycle = t + 1;
      ++dma_.burst;
      start_burst(t + 1);
    } else {
      dma_.next = t + 1;
    }
  }

  // The next burst with bytes, no earlier than `free` (one burst at a time).
  void start_burst(std::uint64_t free) {
    while (dma_.burst != dma_.end && dma_.burst->bytes == 0) ++dma_.burst;
    if (dma_.burst == dma_.end) {
      dma_.next = kNever;
      return;
    }
    const DmaBurst& b = *dma_.burst;
    dma_.first_word = b.l1_address >> 2;
    dma_.last_word = static_cast<std::uint32_t>((std::uint64_t{b.l1_address} + b.bytes - 1) / 4 + 1);
    dma_.moved = 0;
    dma_.next = std::max(free, b.start_cycle);
  }

  const CorePipeline pipeline_;
  std::vector<CoreState> cores_;
  std::size_t running_ = 0, waiting_ = 0;  // cores neither finished nor at a barrier; at one
  std::uint32_t bank_mask_;
  std::uint32_t dma_id_ = 0;
  std::uint32_t dma_words_ = 0;
  DmaState dma_;
  std::vector<std::uint64_t> requests_;   // per bank: requesters this cycle, then the one granted
  std::vector<std::uint8_t> priority_;    // per bank: the arbiter's rr_q, the requester it favours
  std::uint32_t tree_levels_ = 0;         // of the arbitration tree over cores + DMA
  std::vector<std::uint32_t> touched_;    // banks with a request this cycle
  std::vector<std::uint32_t> due_;        // the cores with a request this cycle
  CallRun run_;
};

}  // namespace

CallRun run_call(const std::vector<CoreProgram>& programs, int banks, const CorePipeline& pipeline,
                 const DmaL1Traffic* dma) {
  if (banks <= 0 || (banks & (banks - 1)) != 0) throw std::invalid_argument("run_call: banks must be a power of two");
  // Requesters are bits of a 64-bit mask: the cores, then the DMA.
  if (programs.size() > 63) throw std::invalid_argument("run_call: at most 63 cores");
  return Engine(programs, banks, pipeline, dma).run();
}

}  // namespace wb::sim::pulp
