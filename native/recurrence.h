// Whole-sequence recurrence of one layer in one direction: forward over T steps and backward
// through time, on caller-owned float32 buffers. Time-major [T, B, ...], batch-major rows.
// The same contract as src/kernels/typescript.ts; nothing here knows about tfjs or Node.
#pragma once

namespace irnn {

enum class Cell { RnnRelu = 0, RnnTanh = 1, Lstm = 2, Gru = 3 };

struct Shape {
  Cell cell;
  int T, B, H;
};

int gates(Cell c);      // G: the projections have G*H columns
int aux_width(Cell c);  // per-row saved activations, in units of H (lstm 6: i f g o c tanh c;
                        // gru 4: r z n hW_n+bh_n; rnn 0: the states suffice)

int vector_width();  // floats per SIMD register the build targets

struct Forward {
  Shape s;
  const float* x;   // [T, B, G*H] input projections
  const float* W;   // [H, G*H]
  const float* bh;  // [G*H] (gru) or null
  const float* h0;  // [B, H]
  const float* c0;  // [B, H] (lstm) or null = zeros
  float* states;    // out [T, B, H]
  float* aux;       // out [T, B, aux_width*H] (lstm, gru)
  float* cT;        // out [B, H] (lstm) or null
};

struct Backward {
  Shape s;
  const float* W;
  const float* h0;
  const float* c0;
  const float* states;
  const float* aux;
  const float* dstates;  // [T, B, H] gradient of the loss w.r.t. every state
  float* dx;             // out [T, B, G*H]
  float* dW;             // out [H, G*H]
  float* dbh;            // out [G*H] (gru) or null
  float* dh0;            // out [B, H]
  float* dc0;            // out [B, H] (lstm) or null
  // Optional probe for the gradient-flow diagnostics (null: skipped): the norm of the total
  // gradient dL/dh_t (and dL/dc_t for the lstm) of every row, summed in double precision.
  float* hnorm;          // out [T, B] or null
  float* cnorm;          // out [T, B] (lstm) or null
};

// Scratch for the backward pass, shared by all rows: WT [G*H, H] (filled by prepare_backward),
// drec [T, B, G*H] gradient of the recurrent pre-activations (may alias dx except for the gru,
// whose n block differs), dh and dc [B, H] carried through time.
struct Scratch {
  float* WT;
  float* drec;
  float* dh;
  float* dc;
};

// The input projection, when the kernel does it too: x = in @ U + b over all T*B rows at once,
// one product outside the time loop (it saves the framework a large tensor and two products).
struct Projection {
  int rows, I, N;   // rows = T*B, N = G*H
  const float* in;  // [rows, I]
  const float* U;   // [I, N]
  const float* b;   // [N]
};
void project(const Projection& p, float* x);  // x [rows, N]
// From dx [rows, N]: dU [I, N] = in^T dx, db [N] = column sums of dx, din [rows, I] = dx U^T.
void project_grads(const Projection& p, const float* dx, float* dU, float* db, float* din);

// Rows b0..b1 of the batch never interact, so a caller may split the batch across threads.
void forward_rows(const Forward& f, int b0, int b1);
void prepare_backward(const Backward& g, const Scratch& w);
void backward_rows(const Backward& g, const Scratch& w, int b0, int b1);
// Once every row is done: rows r0..r1 of dW, and (gru, r0 == 0) dbh, reduced over time and batch.
void weight_grads(const Backward& g, const Scratch& w, int r0, int r1);

}  // namespace irnn
