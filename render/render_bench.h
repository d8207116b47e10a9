#ifndef RLFLEET_RENDER_RENDER_BENCH_H_
#define RLFLEET_RENDER_RENDER_BENCH_H_

namespace rlfleet {

struct RenderBenchOptions {
  double seconds_per_case = 1.0;  // measuring time of each (task, size) case, finite and > 0
  bool json_only = false;         // print only the final JSON object
  void Validate() const;
};

// `rlfleet bench render`: milliseconds per frame of MakeRenderer's MuJoCo renderer for
// HalfCheetah-v4 and Humanoid-v4 at 84×84 and 480×480 (no shadows, no multisampling), the env
// stepped with random actions between frames (stepping not timed); and of encoding those
// frames with VideoWriter (Write of every frame plus Finish, over the frame count). Prints a
// table unless json_only; the last line is one JSON object:
//   {"bench":"render","gl":"egl","cases":[{"env_id","width","height","frames",
//    "render_ms_per_frame","encode_ms_per_frame"}...]}
// Throws std::runtime_error when there is no GL context or no encoder. Returns 0.
int RunRenderBench(const RenderBenchOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_RENDER_RENDER_BENCH_H_
