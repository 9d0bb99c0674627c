#include "core/notebook/writeridentity.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace tempo::notebook {

namespace {

std::string readFirstLine(const std::string& path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string bootId() { return readFirstLine("/proc/sys/kernel/random/boot_id"); }

// Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. Empty if no such process.
// The command name (field 2) is in parentheses and may hold spaces, so parse after the last ')'.
std::string processStartTime(long long pid)
{
    std::string stat = readFirstLine("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos)
        return {};
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    if (!(fields >> field) || field == "Z" || field == "X")
        return {}; // a zombie (killed, not yet reaped) writes nothing more: count it as gone
    // After ')' come field 3 (state) onwards; the start time is field 22, i.e. the 20th here.
    for (int i = 4; i <= 22; ++i)
        if (!(fields >> field))
            return {};
    return field;
}

std::string hostName()
{
    char buffer[256] = {};
    if (gethostname(buffer, sizeof buffer - 1) != 0)
        return "unknown-host";
    return buffer;
}

} // namespace

WriterIdentity WriterIdentity::current()
{
    static WriterIdentity cached;
    long long pid = static_cast<long long>(getpid());
    if (cached.pid != pid) {
        cached.host = hostName();
        cached.pid = pid;
        cached.token = bootId() + "/" + processStartTime(pid);
    }
    return cached;
}

bool WriterIdentity::isKnownDead() const
{
    const WriterIdentity self = current();
    if (host.empty() || host != self.host || pid <= 0)
        return false; // another machine (or no identity recorded): cannot tell, assume alive
    if (pid == self.pid && token == self.token)
        return false;
    auto slash = token.find('/');
    std::string recordedBoot = token.substr(0, slash);
    std::string recordedStart = slash == std::string::npos ? std::string() : token.substr(slash + 1);
    if (!recordedBoot.empty() && recordedBoot != bootId())
        return true; // the machine rebooted since: every process of that boot is gone
    std::string start = processStartTime(pid);
    if (start.empty())
        return true; // no process with that pid
    return !recordedStart.empty() && start != recordedStart; // the pid now belongs to another process
}

} // namespace tempo::notebook
