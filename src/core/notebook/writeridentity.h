#pragma once
// Who is writing a running run, precisely enough to tell later whether that writer still lives.
// A pid alone is not enough: pids are reused, and a notebook may move between machines or outlive
// a reboot. The identity is (host name, pid, token) with token = "<boot id>/<process start time>",
// both read from /proc on Linux. A run's writer is dead when it ran on this host and either the
// machine rebooted since, or no process has that pid, or the process with that pid started at
// another time (the pid was reused). Writers on other hosts cannot be checked and count as alive.

#include <string>

namespace tempo::notebook {

struct WriterIdentity {
    std::string host;
    long long pid = 0;
    std::string token;

    // The identity of the calling process (computed once per process, refreshed after fork).
    static WriterIdentity current();
    // True only when the writer can be shown to be gone (see above).
    bool isKnownDead() const;
};

} // namespace tempo::notebook
