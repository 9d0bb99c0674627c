#pragma once
// Ctrl-C (SIGINT) and SIGTERM during a command that decodes: the first signal sets a cancel flag
// that the decoder checks between forwards, so the run ends as `cancelled` with its committed
// steps and the command exits kExitCancelled; a second signal ends the process at once (the
// default action), for a forward that takes too long to wait for.

#include <atomic>

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
};

} // namespace tempo::cli
