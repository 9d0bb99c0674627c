#include "core/notebook/records.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>

#include <unistd.h>

#include "core/common/errors.h"
#include "core/runrecord/checkoutcome.h"

namespace tempo::notebook {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "tensor blobs are stored little-endian; a big-endian build needs byte swapping here");

std::string toString(RunStatus status)
{
    switch (status) {
    case RunStatus::Running: return "running";
    case RunStatus::Finished: return "finished";
    case RunStatus::Failed: return "failed";
    case RunStatus::Cancelled: return "cancelled";
    case RunStatus::Interrupted: return "interrupted";
    }
    return "running";
}

RunStatus runStatusFromString(const std::string& text)
{
    for (RunStatus s : {RunStatus::Running, RunStatus::Finished, RunStatus::Failed, RunStatus::Cancelled,
                        RunStatus::Interrupted})
        if (toString(s) == text)
            return s;
    throw InvalidArgument(expectedFound("run status", "running, finished, failed, cancelled or interrupted",
                                        "'" + text + "'"));
}

std::string toString(StudyStatus status)
{
    switch (status) {
    case StudyStatus::Running: return "running";
    case StudyStatus::Finished: return "finished";
    case StudyStatus::Cancelled: return "cancelled";
    case StudyStatus::Interrupted: return "interrupted";
    case StudyStatus::Failed: return "failed";
    case StudyStatus::Partial: return "partial";
    }
    return "running";
}

StudyStatus studyStatusFromString(const std::string& text)
{
    for (StudyStatus s : {StudyStatus::Running, StudyStatus::Finished, StudyStatus::Cancelled, StudyStatus::Interrupted,
                          StudyStatus::Failed, StudyStatus::Partial})
        if (toString(s) == text)
            return s;
    throw InvalidArgument(expectedFound("study status", "running, finished, cancelled, interrupted, failed or partial",
                                        "'" + text + "'"));
}

std::string toString(StudySweepRole role) { return role == StudySweepRole::Control ? "control" : "tempo"; }

StudySweepRole studySweepRoleFromString(const std::string& text)
{
    if (text == "tempo")
        return StudySweepRole::Tempo;
    if (text == "control")
        return StudySweepRole::Control;
    throw InvalidArgument(expectedFound("study sweep role", "tempo or control", "'" + text + "'"));
}

bool StudySweep::operator==(const StudySweep& o) const
{
    return sweepId == o.sweepId && presetId == o.presetId && role == o.role && position == o.position;
}

namespace {

// Two stored numbers are the same record when equal or both NaN (a NaN is stored as NULL and read
// back as NaN: a record read twice must equal itself).
bool sameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool sameValues(const std::vector<double>& a, const std::vector<double>& b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), sameValue);
}

} // namespace

bool StepRecord::operator==(const StepRecord& o) const
{
    return step == o.step && logicalPosition == o.logicalPosition && physicalSlots == o.physicalSlots &&
           tokenIds == o.tokenIds && tokens == o.tokens && sameValues(probabilities, o.probabilities) &&
           elapsedMs == o.elapsedMs;
}

bool CheckRecord::notApplicable() const
{
    return isNotApplicableCheck(passed, value, detail);
}

bool CheckRecord::operator==(const CheckRecord& o) const
{
    return name == o.name && passed == o.passed && sameValue(value, o.value) && detail == o.detail;
}

bool MetricRecord::operator==(const MetricRecord& o) const
{
    return name == o.name && sameValue(value, o.value) && step == o.step && layer == o.layer && head == o.head;
}

std::size_t TensorBlob::elementSize(const std::string& dtype)
{
    if (dtype == "f32")
        return 4;
    if (dtype == "bf16" || dtype == "f16")
        return 2;
    if (dtype == "i64")
        return 8;
    throw InvalidArgument(expectedFound("tensor dtype", "f32, bf16, f16 or i64", "'" + dtype + "'"));
}

std::int64_t TensorBlob::elementCount() const
{
    std::int64_t count = 1;
    for (std::int64_t d : shape) {
        if (d < 0)
            throw InvalidArgument(expectedFound("tensor '" + name + "' shape", "non-negative sizes", std::to_string(d)));
        if (d != 0 && count > (std::int64_t(1) << 50) / d)
            throw InvalidArgument(expectedFound("tensor '" + name + "' shape", "fewer than 2^50 elements", "more"));
        count *= d;
    }
    return count;
}

void TensorBlob::validate() const
{
    const std::string what = "tensor '" + name + "'";
    std::size_t size = elementSize(dtype);
    if (byteOrder != "le")
        throw InvalidArgument(expectedFound(what + " byte order", "'le'", "'" + byteOrder + "'"));
    if (compression != "none")
        throw InvalidArgument(expectedFound(what + " compression", "'none'", "'" + compression + "'"));
    std::int64_t expected = elementCount() * static_cast<std::int64_t>(size);
    if (static_cast<std::int64_t>(data.size()) != expected)
        throw InvalidArgument(expectedFound(what + " data", std::to_string(expected) + " bytes for its shape and " + dtype,
                                            std::to_string(data.size()) + " bytes"));
}

TensorBlob TensorBlob::fromF32(std::string name, std::optional<int> step, std::vector<std::int64_t> shape,
                               const std::vector<float>& values)
{
    TensorBlob blob;
    blob.name = std::move(name);
    blob.step = step;
    blob.dtype = "f32";
    blob.shape = std::move(shape);
    blob.data.resize(values.size() * 4);
    if (!values.empty())
        std::memcpy(blob.data.data(), values.data(), blob.data.size());
    blob.validate();
    return blob;
}

TensorBlob TensorBlob::fromF32AsBF16(std::string name, std::optional<int> step, std::vector<std::int64_t> shape,
                                     const std::vector<float>& values)
{
    TensorBlob blob;
    blob.name = std::move(name);
    blob.step = step;
    blob.dtype = "bf16";
    blob.shape = std::move(shape);
    blob.data.resize(values.size() * 2);
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &values[i], 4);
        std::uint16_t upper;
        if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) {
            upper = static_cast<std::uint16_t>((bits >> 16) | 0x0040u); // keep NaN a (quiet) NaN
        } else {
            std::uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
            upper = static_cast<std::uint16_t>((bits + roundingBias) >> 16);
        }
        std::memcpy(&blob.data[2 * i], &upper, 2);
    }
    blob.validate();
    return blob;
}

std::vector<float> TensorBlob::toF32() const
{
    validate();
    std::vector<float> values(static_cast<std::size_t>(elementCount()));
    if (dtype == "f32") {
        if (!values.empty())
            std::memcpy(values.data(), data.data(), data.size());
    } else if (dtype == "bf16") {
        for (std::size_t i = 0; i < values.size(); ++i) {
            std::uint16_t upper;
            std::memcpy(&upper, &data[2 * i], 2);
            std::uint32_t bits = static_cast<std::uint32_t>(upper) << 16;
            std::memcpy(&values[i], &bits, 4);
        }
    } else {
        throw InvalidArgument(expectedFound("tensor '" + name + "' dtype for toF32", "f32 or bf16", dtype));
    }
    return values;
}

bool TensorBlob::operator==(const TensorBlob& o) const
{
    return name == o.name && step == o.step && dtype == o.dtype && shape == o.shape && byteOrder == o.byteOrder &&
           compression == o.compression && data == o.data;
}

std::string nowIso8601()
{
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t seconds = system_clock::to_time_t(now);
    auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
    return buffer;
}

std::string newUuid()
{
    // Seeded per thread and again after a fork (a child must not repeat its parent's UUIDs).
    // The UUID only needs to be unique, not secret.
    thread_local std::mt19937_64 generator;
    thread_local pid_t seededFor = 0;
    if (seededFor != getpid()) {
        seededFor = getpid();
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), static_cast<unsigned>(seededFor),
                           static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
        generator.seed(seed);
    }
    std::uint64_t high = generator(), low = generator();
    high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL; // version 4
    low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;   // variant 10
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                  static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                  static_cast<unsigned>(low >> 48), static_cast<unsigned long long>(low & 0xffffffffffffULL));
    return buffer;
}

} // namespace tempo::notebook
