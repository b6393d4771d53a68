// Cell kinds of the fused recurrence and their gate counts, shared by the sequence engine (seq.h)
// and the training step (step.h). Nothing here knows about tfjs or Node.
#pragma once

namespace irnn {

enum class Cell { RnnRelu = 0, RnnTanh = 1, Lstm = 2, Gru = 3 };

int gates(Cell c);   // G: the projections have G*H columns
int vector_width();  // floats per SIMD register the build targets

}  // namespace irnn
