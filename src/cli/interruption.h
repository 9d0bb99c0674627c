#pragma once
// Ctrl-C (SIGINT) and SIGTERM during a command that decodes: the first signal sets a cancel flag
// that the decoder checks between forwards, so the run ends as `cancelled` with its committed
// steps and the command exits kExitCancelled; a second signal ends the process at once (the
// default action), for a forward that takes too long to wait for.

#include <atomic>
#include <cstdint>

namespace tempo::cli {

class Interruption {
public:
    Interruption();  // installs the handlers
    ~Interruption(); // restores the previous ones
    Interruption(const Interruption&) = delete;
    Interruption& operator=(const Interruption&) = delete;

    // The flag to hand to RunCallbacks / RunControl::cancel.
    const std::atomic<bool>* flag() const;
    bool requested() const;

    // Call after each step a command's runs make (`stepsDone` counts the run's steps so far).
    // Test hook: with TEMPO_LAB_TEST_HOLD_AFTER_STEPS=N in the environment, the first run that
    // reaches N steps waits there until the command is interrupted (at most two minutes), so a
    // test's Ctrl-C lands while that run is certainly still going, however fast the model is and
    // however late the test process gets a core. Without the variable it does nothing.
    void afterStep(int64_t stepsDone);

private:
    int64_t holdAfterSteps_ = 0; // 0: no hold
    bool held_ = false;
};

} // namespace tempo::cli
