#ifndef RLFLEET_ALGORITHMS_ADAM_STATE_H_
#define RLFLEET_ALGORITHMS_ADAM_STATE_H_

// An optimiser's state in checkpoints, written so that equal states give equal bytes.
// LibTorch's Optimizer::save keys each parameter's state by the parameter's memory address, so
// two processes that trained identically (learner.deterministic) wrote different files. For
// Adam this writes, per parameter i in param_groups order, "adam/<i>/step", "adam/<i>/exp_avg",
// "adam/<i>/exp_avg_sq" (and "adam/<i>/max_exp_avg_sq" with amsgrad; nothing for a parameter
// without state yet), and per group g "adam/group<g>/lr". Other optimisers use their own save.

#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

namespace rlfleet {

void SaveOptimizerState(const torch::optim::Optimizer& optimizer,
                        torch::serialize::OutputArchive& archive);

// Reads what SaveOptimizerState wrote, or, for an archive that LibTorch's Optimizer::save wrote
// (checkpoints of earlier versions), loads that. Throws what LibTorch throws for a bad archive
// and std::runtime_error for state of another shape than its parameter.
void LoadOptimizerState(torch::optim::Optimizer& optimizer,
                        torch::serialize::InputArchive& archive);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_ADAM_STATE_H_
