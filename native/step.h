// The whole training step of a recurrent model in one native call: embedding or dense input,
// stacked one-directional layers (seq.h), the readout and its loss (the last state: squared error
// or softmax cross-entropy; every state: softmax cross-entropy through readout.h), backward through
// every layer, the global gradient norm, clipping, and the SGD, momentum or Adam update.
// Caller-owned buffers; nothing here knows about Node or tfjs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recurrence.h"

namespace irnn {

enum class ReadFrom { Last = 0, Every = 1 };  // the readout reads the last state (many-to-one) or every state
enum class Objective { Mse = 0, Xent = 1 };
enum class Optim { Sgd = 0, Momentum = 1, Adam = 2 };

struct StepSpec {
  Cell cell;
  int layers, B, T, H;
  int I;      // input features, or the embedding width with token input
  int vocab;  // > 0: token input through an embedding [vocab, I]
  int O;      // outputs (classes)
  ReadFrom readout;
  Objective objective;
  int threads = 1;  // threads of the softmax readout (the recurrence runs on one)
};

// The model's variables in its own order ([embedding], per layer U b W [bh], V, c): w read,
// next written (next may alias w), grad optionally written (the gradient of the mean loss,
// before clipping).
struct StepVars {
  std::vector<const float*> w;
  std::vector<float*> next;
  std::vector<float*> grad;  // empty, or one (possibly null) per variable
  std::vector<size_t> size;
};

struct StepBatch {
  const float* x = nullptr;        // dense input [B, T, I]
  const int32_t* ids = nullptr;    // token input [B, T]
  const float* y = nullptr;        // squared-error targets [B, O] (last state)
  const int32_t* cls = nullptr;    // class targets [B] (last state) or [B, T] (every state)
  const float* mask = nullptr;     // [B, T] weights of the targets (every state), or null
  std::vector<const float*> h0, c0;  // per layer [B, H], or null = zeros
  std::vector<float*> hT, cT;        // per layer [B, H] final states out, or null
};

// Optimizer state per variable, read from m/v and written to m1/v1 (may alias): momentum's
// accumulation in m; Adam's first and second moments in m and v.
struct StepOptim {
  Optim kind;
  float lr, momentum, b1, b2, eps;
  float c1, c2;  // Adam's bias corrections 1 - beta1^t, 1 - beta2^t
  double clip;   // global-norm clip; < 0: none
  std::vector<const float*> m, v;
  std::vector<float*> m1, v1;
};

struct StepResult {
  double loss;  // mean loss per target (per output unit for squared error)
  double norm;  // global gradient norm before clipping
};

StepResult train_step(const StepSpec& s, const StepVars& vars, const StepBatch& batch, const StepOptim& opt);

}  // namespace irnn
