#ifndef RLFLEET_ALGORITHMS_PARAMETER_VECTOR_H_
#define RLFLEET_ALGORITHMS_PARAMETER_VECTOR_H_

#include <torch/nn/module.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// A module's parameters as one flat float32 vector (how weights travel from the learner to
// the actors). Everything follows named_parameters() order; buffers are not included.

std::vector<std::string> ParameterNames(torch::nn::Module& module);
std::vector<std::vector<int64_t>> ParameterShapes(torch::nn::Module& module);
// Total number of parameter values (the flat vector's length).
int64_t NumParameterValues(torch::nn::Module& module);

// Resizes *out to NumParameterValues(module) and copies every parameter into it, converted to
// float32 on the CPU.
void FlattenParameters(torch::nn::Module& module, std::vector<float>* out);
// The same into `size` floats at `out` (a WeightsEncoder's data); throws std::invalid_argument
// when `size` is not NumParameterValues(module).
void FlattenParameters(torch::nn::Module& module, float* out, size_t size);

// Copies a flat vector produced by FlattenParameters into the module's parameters in place
// (without recording gradients; each parameter keeps its device and dtype). Throws
// std::invalid_argument naming both sizes when `size` is not NumParameterValues(module).
void LoadFlatParameters(torch::nn::Module& module, const float* data, size_t size);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_PARAMETER_VECTOR_H_
