# Wire format of rlfleet: every message that crosses a process boundary.
#
# Rules (see docs/architecture.md, "Wire format"):
#  - every top-level message carries `protocolVersion`; a receiver rejects any other value;
#  - tensors travel as raw little-endian bytes in `Data` fields (float32 unless stated),
#    never as List(Float32): one memcpy each way, no per-element encoding;
#  - field numbers are never reused; new fields are appended, and a change that old readers
#    would misread bumps `protocolVersion`.

@0xee19668de8822785;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("rlfleet::wire");

const protocolVersion :UInt32 = 1;

# One trajectory segment (core/unroll.h). Array fields are raw little-endian bytes:
# float32 for observations, actions, rewards, behaviourLogProbs, truncationObservations;
# one byte (0 or 1) per step for terminated and truncated.
struct Unroll {
  protocolVersion @0 :UInt32;
  length @1 :Int32;                  # T
  observationSize @2 :Int32;         # D
  actionSize @3 :Int32;              # A
  discreteActions @4 :Bool;
  policyVersion @5 :Int64;
  actorIndex @6 :UInt32;
  envIndex @7 :UInt32;
  observations @8 :Data;             # (T + 1) x D float32
  actions @9 :Data;                  # T x A float32
  rewards @10 :Data;                 # T float32
  terminated @11 :Data;              # T uint8
  truncated @12 :Data;               # T uint8
  behaviourLogProbs @13 :Data;       # T float32
  truncationObservations @14 :Data;  # K x D float32, K = number of truncated steps
}

# One n-step transition (core/transition.h), the replay item of the off-policy algorithms
# (Ape-X DQN, SAC, TD3). Array fields are raw little-endian float32.
struct Transition {
  protocolVersion @0 :UInt32;
  observation @1 :Data;              # D float32, x_t
  action @2 :Data;                   # A float32 (a discrete action: its index as one float)
  reward @3 :Float32;                # n-step discounted sum of rewards
  discount @4 :Float32;              # gamma^k for the bootstrap, 0 when terminated
  terminated @5 :Bool;               # the episode reached a terminal state within the k steps
  truncated @6 :Bool;                # a time limit cut the episode at step t + k
  nextObservation @7 :Data;          # D float32, x_{t+k} (the final one at an episode end)
  steps @8 :Int32;                   # k, 1 <= k <= n
  policyVersion @9 :Int64;           # version of the weights that chose the action
}

# ---- Replay service: DEALER (client) -> ROUTER (shard), one frame each way. ----

struct Request {
  protocolVersion @0 :UInt32;
  requestId @1 :UInt64;              # echoed in the Response; chosen by the client
  union {
    insert @2 :InsertRequest;
    sample @3 :SampleRequest;
    info @4 :InfoRequest;
    updatePriorities @5 :UpdatePrioritiesRequest;
    checkpoint @6 :CheckpointRequest;
  }
}

# Items are opaque bytes to the shard (in practice encoded Unroll messages). The ack is sent
# once every item is in the table, which is how a full table pushes back on actors.
struct InsertRequest {
  table @0 :Text;
  items @1 :List(Data);
  priorities @2 :List(Float64);      # one per item, or empty: every item gets priority 1
  timeoutMs @3 :UInt32;              # 0: wait for room (the rate limiter) forever; else the
                                     # shard replies error.timeout once it passes (items already
                                     # in stay in)
}

# Asks for exactly batchSize items. The shard holds the request until that many items exist
# or timeoutMs passes (then replies error.timeout).
struct SampleRequest {
  table @0 :Text;
  batchSize @1 :UInt32;
  timeoutMs @2 :UInt32;
  # Cross-shard rate limiting (replay/README.md): when hasGlobalCounts, the shard's limiter
  # applies the ratio to globalInserts/globalSamples (sums over all shards as the client last saw
  # them), of which ownInsertsIncluded/ownSamplesIncluded are this shard's share.
  hasGlobalCounts @3 :Bool;
  globalInserts @4 :Int64;
  globalSamples @5 :Int64;
  ownInsertsIncluded @6 :Int64;
  ownSamplesIncluded @7 :Int64;
}

struct InfoRequest {
  table @0 :Text;                    # which table the top-level InfoReply fields describe
                                     # (empty: the shard's first table)
}

# Sets the priorities of items by key (keys as handed out in SampleReply.keys). Keys no longer in
# the table (evicted or exhausted meanwhile) are ignored and counted.
struct UpdatePrioritiesRequest {
  table @0 :Text;
  keys @1 :List(UInt64);
  priorities @2 :List(Float64);      # same length as keys; finite and >= 0
}

# Writes every table of the shard to its checkpoint directory (atomically, in the background);
# answered once the files are in place.
struct CheckpointRequest {}

struct Response {
  protocolVersion @0 :UInt32;
  requestId @1 :UInt64;              # 0 when the request could not be read
  union {
    insertAck @2 :InsertAck;
    sample @3 :SampleReply;
    info @4 :InfoReply;
    error @5 :Error;
    updatePrioritiesAck @6 :UpdatePrioritiesAck;
    checkpoint @7 :CheckpointReply;
  }
}

# The counters of a table's rate limiter after the reply's operation (for cross-shard limiting).
struct RateLimiterInfo {
  inserts @0 :Int64;
  samples @1 :Int64;
  deletes @2 :Int64;
}

struct InsertAck {
  count @0 :UInt32;                  # items inserted by the acked request
  rateLimiter @1 :RateLimiterInfo;
}

struct SampleReply {
  items @0 :List(Data);              # in the sampler's order (FIFO order for a queue table)
  keys @1 :List(UInt64);             # per item: the key to update its priority with
  probabilities @2 :List(Float64);   # per item: P(i) of its draw within this shard's table
  importanceWeights @3 :List(Float64); # per item: (N·P(i))^-β / max over this reply
  timesSampled @4 :List(UInt32);     # per item, this draw included
  tableSizes @5 :List(Int64);        # per item: N, the table size when it was drawn
  priorityMass @6 :Float64;          # Σ p^α over the table after this sample (size if not
                                     # prioritized): what global sampling splits batches by
  tableSize @7 :Int64;               # items in the table after this sample
  importanceExponent @8 :Float64;    # β of the table
  rateLimiter @9 :RateLimiterInfo;
}

struct UpdatePrioritiesAck {
  updated @0 :UInt32;                # keys found and updated
  unknownKeys @1 :UInt32;            # keys not in the table (ignored)
}

struct CheckpointReply {
  path @0 :Text;                     # the checkpoint directory written
  tables @1 :UInt32;                 # table files written
}

# Per table state (InfoReply.tables).
struct TableInfo {
  name @0 :Text;
  sampler @1 :Text;
  remover @2 :Text;
  maxSize @3 :Int64;
  maxTimesSampled @4 :Int32;
  size @5 :Int64;
  inserts @6 :Int64;
  samples @7 :Int64;
  evictions @8 :Int64;
  exhausted @9 :Int64;
  unknownKeyUpdates @10 :Int64;
  priorityMass @11 :Float64;
  rateLimiter @12 :RateLimiterInfo;
  canInsert @13 :Bool;               # the rate limiter lets one insert / one sample through now
  canSample @14 :Bool;
  globalRateLimit @15 :Bool;         # the limiter applies the ratio to cross-shard counts
  insertBlockedSeconds @16 :Float64; # time during which at least one insert of this table waited
  sampleBlockedSeconds @17 :Float64;
  pendingInserts @18 :Int64;
  pendingSamples @19 :Int64;
  timeouts @20 :Int64;               # insert and sample requests of this table that timed out
}

# Counters of one shard since it started (replay/shard_stats.h).
struct InfoReply {
  table @0 :Text;
  maxSize @1 :Int64;
  size @2 :Int64;
  inserts @3 :Int64;                 # items inserted
  samples @4 :Int64;                 # items handed out
  insertRequests @5 :Int64;
  sampleRequests @6 :Int64;
  malformed @7 :Int64;               # requests that did not decode
  wrongVersion @8 :Int64;
  tooLarge @9 :Int64;
  errors @10 :Int64;                 # error replies of any kind, timeouts included
  timeouts @11 :Int64;               # insert and sample requests that timed out
  droppedReplies @12 :Int64;         # replies that could not be delivered
  pendingInserts @13 :Int64;         # insert requests waiting for room
  pendingSamples @14 :Int64;         # sample requests waiting for items
  insertBlockedSeconds @15 :Float64; # time during which at least one insert waited
  sampleBlockedSeconds @16 :Float64; # time during which at least one sample waited
  tables @17 :List(TableInfo);       # every table of the shard (the fields above describe one)
  updateRequests @18 :Int64;         # priority update requests
  unknownKeyUpdates @19 :Int64;      # priority updates of keys no longer present, all tables
  checkpoints @20 :Int64;            # checkpoints written
  checkpointFailures @21 :Int64;
  lastCheckpointPath @22 :Text;
  restoredItems @23 :Int64;          # items restored from a checkpoint at start
  overloaded @24 :Int64;             # requests refused: too many requests or bytes waiting
  oversizedReplies @25 :Int64;       # sample replies above max_message_bytes, not sent
  internalErrors @26 :Int64;         # exceptions caught while moving pending work forward
  refusedPeers @27 :Int64;           # tcp connections CURVE refused (a key not the run's)
}

enum ErrorCode {
  malformed @0;                      # the bytes are not a Request
  wrongVersion @1;
  unknownTable @2;
  tooLarge @3;
  timeout @4;
  badRequest @5;                     # decodable but invalid (e.g. batchSize > table size)
  overloaded @6;                     # too many requests or bytes already wait: retry later
}

struct Error {
  code @0 :ErrorCode;
  message @1 :Text;
  # An insert answered with overloaded or timeout: how many of its items (the first ones, in
  # order) are already in the table; a retry sends only the rest.
  acceptedItems @2 :UInt32;
}

# ---- Learner -> actors, PUB/SUB. ----

# Parameters in a fixed order: names[i] has shapes[i]; data holds all of them back to back
# as float32 little-endian, so sum(prod(shapes[i])) * 4 == data.size().
struct Weights {
  protocolVersion @0 :UInt32;
  version @1 :Int64;
  learnerStep @2 :Int64;
  names @3 :List(Text);
  shapes @4 :List(List(Int64));
  data @5 :Data;
  incarnation @6 :UInt64;            # drawn at random by each learner process: versions count
                                     # from a restarted learner's checkpoint, not upwards
  round @7 :Int64 = -1;              # learner.deterministic: actors act round `round` with these
  turn @8 :Int32 = -1;               # learner.deterministic: the actor whose turn it is to insert
}

# ---- Actors -> learner, PUSH/PULL. ----

struct ActorStats {
  protocolVersion @0 :UInt32;
  actorIndex @1 :UInt32;
  envSteps @2 :Int64;                # environment steps since the previous message
  episodeReturns @3 :List(Float64);  # episodes finished since the previous message
  episodeLengths @4 :List(Int64);    # same order and count as episodeReturns
  policyVersion @5 :Int64;
  rejectedWeights @6 :Int64;         # weights messages refused since the previous message
  round @7 :Int64 = -1;              # learner.deterministic: the round whose items are all acked
  # Faults of environments rlfleet did not write (envs/vector_env.h), since the previous message.
  envDroppedEpisodes @8 :Int64;
  envErrors @9 :Int64;
  envNonfinite @10 :Int64;
  envWorkerRestarts @11 :Int64;
  envWorkerTimeouts @12 :Int64;
  # Insert requests the replay shard refused for now and this actor sent again (overloaded or
  # a shard-side timeout), and those it refused for good (their items dropped), since the
  # previous message.
  insertRetries @13 :Int64;
  insertFailures @14 :Int64;
}
