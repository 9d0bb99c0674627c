#include "core/analysis/attentioncapture.h"

#include "core/common/errors.h"

namespace tempo {

void validateRunAttention(const RunAttention& run, const std::string& what)
{
    const int64_t mapSlots = static_cast<int64_t>(run.slotSteps.size());
    for (size_t i = 0; i < run.forwards.size(); ++i) {
        const AttentionForward& f = run.forwards[i];
        const std::string name = what + " forward " + std::to_string(f.forward);
        f.probabilities.validate(name + " attention");
        const int64_t rows = f.probabilities.size(2);
        const int64_t slots = f.probabilities.size(3);
        if (f.firstSlot < 0 || f.firstSlot + rows > slots)
            throw InvalidArgument(expectedFound(name + " rows", "rows at slots [firstSlot, firstSlot + rows) inside the "
                                                + std::to_string(slots) + " slots attended",
                                                "firstSlot " + std::to_string(f.firstSlot) + ", " + std::to_string(rows) + " rows"));
        if (slots > mapSlots)
            throw InvalidArgument(expectedFound(name + " slots", "at most the " + std::to_string(mapSlots) + " slots of the slot map",
                                                std::to_string(slots) + " slots"));
        for (int64_t r = 0; r < rows; ++r)
            if (run.slotSteps[static_cast<size_t>(f.firstSlot + r)] != f.step)
                throw InvalidArgument(expectedFound(name + " row " + std::to_string(r), "slot map step " + std::to_string(f.step),
                                                    "step " + std::to_string(run.slotSteps[static_cast<size_t>(f.firstSlot + r)])));
        if (i > 0) {
            const Tensor4& first = run.forwards.front().probabilities;
            if (f.probabilities.size(0) != first.size(0) || f.probabilities.size(1) != first.size(1))
                throw InvalidArgument(expectedFound(name + " layers and heads",
                                                    std::to_string(first.size(0)) + " layers, " + std::to_string(first.size(1)) + " heads",
                                                    f.probabilities.shapeText()));
        }
    }
}

} // namespace tempo
