// Gate counts and the build's vector width (recurrence.h).
#include "recurrence.h"

#include "simd.h"

namespace irnn {

int gates(Cell c) { return c == Cell::Lstm ? 4 : c == Cell::Gru ? 3 : 1; }
int vector_width() { return kVec; }

}  // namespace irnn
