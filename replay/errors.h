#ifndef RLFLEET_REPLAY_ERRORS_H_
#define RLFLEET_REPLAY_ERRORS_H_

#include <stdexcept>
#include <string>

namespace rlfleet {

// A replay request failed: the shard answered with an error reply (the message is the
// shard's, prefixed with the error code, e.g. "unknown_table: no table 'x' on this shard"),
// or the request could not be made. Base class of the two below.
class ReplayError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A blocking replay call made no progress for its whole timeout.
class TimeoutError : public ReplayError {
 public:
  using ReplayError::ReplayError;
};

// A blocking replay call gave up because its stop flag became true.
class StoppedError : public ReplayError {
 public:
  using ReplayError::ReplayError;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_ERRORS_H_
