#include "core/tempo/readout.h"

#include <string>

#include <ATen/ATen.h>

#include "core/common/errors.h"
#include "core/model/shapetext.h"

namespace tempo {

ReadoutDistributions readOutDistribution(const at::Tensor& rowLogits, Readout readout)
{
    if (!rowLogits.defined() || rowLogits.dim() != 2 || rowLogits.size(0) < 1 || rowLogits.size(1) < 1)
        throw InvalidArgument(expectedFound("readout logits", "a [rows >= 1, vocab >= 1] tensor",
                                            rowLogits.defined() ? shapeText(rowLogits.sizes()) : "an undefined tensor"));
    ReadoutDistributions out;
    // softmax subtracts the row maximum, exponentiates and normalises, all in float64 here.
    out.rows = at::softmax(rowLogits.to(at::kDouble), -1); // [r, V]
    out.distribution = readout == Readout::Mean ? out.rows.mean(0) : out.rows[out.rows.size(0) - 1]; // [V]
    return out;
}

} // namespace tempo
