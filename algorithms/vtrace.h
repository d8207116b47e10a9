#ifndef RLFLEET_ALGORITHMS_VTRACE_H_
#define RLFLEET_ALGORITHMS_VTRACE_H_

#include <ATen/core/Tensor.h>

namespace rlfleet {

// V-trace off-policy targets (Espeholt et al. 2018, "IMPALA", eq. 1 and §4.2), with episode
// ends inside the unroll. at::Tensor is torch::Tensor.
//
// All inputs are [T, B] float tensors on one device (time-major: row t is step t of each of
// the B unrolls).
struct VTraceInputs {
  at::Tensor log_rhos;         // log π(a_t|x_t) − log μ(a_t|x_t), target minus behaviour
  at::Tensor discounts;        // γ·(1 − terminated_t): 0 where the MDP ended
  at::Tensor trace_continues;  // 1 − (terminated_t OR truncated_t): cut at any episode end
  at::Tensor rewards;          // r_t
  at::Tensor values;           // V(x_t)
  // V(x_{t+1}); for a truncated step V(final observation of the episode); row T−1 is the
  // bootstrap V(x_T).
  at::Tensor next_values;
};

struct VTraceOptions {
  double rho_bar = 1.0;     // ρ̄, clips the importance weight of the TD error
  double c_bar = 1.0;       // c̄, clips the trace coefficients
  double pg_rho_bar = 1.0;  // ρ̄ of the policy-gradient advantage
  double lambda = 1.0;      // λ, multiplies every trace coefficient (Remark 2 of the paper)

  // Throws std::invalid_argument naming the field: the clips must be positive (∞ allowed),
  // lambda in [0, 1].
  void Validate() const;
};

struct VTraceReturns {
  at::Tensor vs;             // [T, B] V-trace value targets v_t
  at::Tensor pg_advantages;  // [T, B] policy-gradient advantages
};

// Computes, without gradient (the inputs are detached), with
//   ρ_t  = min(ρ̄, e^{log_rho_t})          c_t = λ·min(c̄, e^{log_rho_t})
//   δ_t  = ρ_t·(r_t + disc_t·next_values_t − V_t)
// the backward recursion
//   acc_T = 0,   acc_t = δ_t + disc_t·cont_t·c_t·acc_{t+1},   vs_t = V_t + acc_t,
// i.e. vs_s = V_s + Σ_{t=s}^{T−1} (Π_{i=s}^{t−1} disc_i·cont_i·c_i)·δ_t, and
//   next_vs_t = vs_{t+1}        if t < T−1 and cont_t ≠ 0,
//             = next_values_t   otherwise (bootstrap, truncation or termination),
//   pg_adv_t  = min(ρ̄_pg, e^{log_rho_t})·(r_t + disc_t·next_vs_t − V_t).
// A termination zeroes the bootstrap through disc_t = 0; a truncation bootstraps from
// next_values_t = V(final observation); either cuts the trace through cont_t = 0.
// Returns float32 tensors on the inputs' device. Throws std::invalid_argument when the
// inputs are not all [T, B] with T, B > 0, or on invalid options.
VTraceReturns ComputeVTrace(const VTraceInputs& inputs, const VTraceOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_VTRACE_H_
