#pragma once
// Shared by the run record tests: the message a reader's refusal carries.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/common/errors.h"

namespace tempo::recordtesting {

// The message of the InvalidArgument `read` throws ("" when it does not throw).
inline std::string refusal(const std::function<void()>& read)
{
    try {
        read();
    } catch (const InvalidArgument& error) {
        return error.what();
    }
    return "";
}

inline void expectContains(const std::string& text, const std::string& part)
{
    EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

} // namespace tempo::recordtesting
