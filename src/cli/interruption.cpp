#include "cli/interruption.h"

#include <csignal>

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
}

Interruption::~Interruption()
{
    std::signal(SIGINT, gPreviousInt == SIG_ERR ? SIG_DFL : gPreviousInt);
    std::signal(SIGTERM, gPreviousTerm == SIG_ERR ? SIG_DFL : gPreviousTerm);
}

const std::atomic<bool>* Interruption::flag() const { return &gInterrupted; }

bool Interruption::requested() const { return gInterrupted.load(); }

} // namespace tempo::cli
