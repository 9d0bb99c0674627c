#pragma once
// A dense 4-D float array in row-major order, the plain-vector form of one captured attention
// tensor [layers, heads, rows, slots]. The analyses take these instead of LibTorch tensors so the
// notebook (blobs of f32) and the GUI can feed them without the model library.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tempo {

struct Tensor4 {
    std::array<int64_t, 4> shape{0, 0, 0, 0};
    std::vector<float> data; // shape[0] * shape[1] * shape[2] * shape[3] values, row-major

    Tensor4() = default;
    Tensor4(std::array<int64_t, 4> dims, std::vector<float> values) : shape(dims), data(std::move(values)) {}
    // All zeros of the given shape.
    static Tensor4 zeros(std::array<int64_t, 4> dims);

    int64_t size(int dim) const { return shape[static_cast<size_t>(dim)]; }
    int64_t elementCount() const { return shape[0] * shape[1] * shape[2] * shape[3]; }

    size_t offset(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const
    {
        return static_cast<size_t>(((i0 * shape[1] + i1) * shape[2] + i2) * shape[3] + i3);
    }
    float at(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const { return data[offset(i0, i1, i2, i3)]; }
    float& at(int64_t i0, int64_t i1, int64_t i2, int64_t i3) { return data[offset(i0, i1, i2, i3)]; }

    // Throws InvalidArgument naming `what` when a dimension is negative or the data size does not
    // match the shape.
    void validate(const std::string& what) const;
    std::string shapeText() const; // "[2, 4, 3, 9]"
};

} // namespace tempo
