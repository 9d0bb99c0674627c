#include "cli/interruption.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace tempo::cli {

namespace {

std::atomic<bool> gInterrupted{false};

extern "C" void onInterruptSignal(int signal)
{
    gInterrupted.store(true);
    std::signal(signal, SIG_DFL); // async-signal-safe; the next one ends the process
}

using Handler = void (*)(int);
Handler gPreviousInt = SIG_DFL;
Handler gPreviousTerm = SIG_DFL;

} // namespace

Interruption::Interruption()
{
    gInterrupted.store(false);
    gPreviousInt = std::signal(SIGINT, onInterruptSignal);
    gPreviousTerm = std::signal(SIGTERM, onInterruptSignal);
    // A command started in the background by a shell (`cmd &`) has SIGINT ignored: keep it so.
    if (gPreviousInt == SIG_IGN)
        std::signal(SIGINT, SIG_IGN);
    if (gPreviousTerm == SIG_IGN)
        std::signal(SIGTERM, SIG_IGN);
    if (const char* hold = std::getenv("TEMPO_LAB_TEST_HOLD_AFTER_STEPS"))
        holdAfterSteps_ = std::max<int64_t>(std::atoll(hold), 0);
}

void Interruption::afterStep(int64_t stepsDone)
{
    if (holdAfterSteps_ == 0 || held_ || stepsDone < holdAfterSteps_)
        return;
    held_ = true;
    // Waits for the one condition the hook is for: the signal. Polled, because the handler may
    // only set an atomic flag.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (!gInterrupted.load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

Interruption::~Interruption()
{
    std::signal(SIGINT, gPreviousInt == SIG_ERR ? SIG_DFL : gPreviousInt);
    std::signal(SIGTERM, gPreviousTerm == SIG_ERR ? SIG_DFL : gPreviousTerm);
}

const std::atomic<bool>* Interruption::flag() const { return &gInterrupted; }

bool Interruption::requested() const { return gInterrupted.load(); }

} // namespace tempo::cli
