#include "core/experiment/sweepslurm.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/runrecord/preset.h"
#include "core/notebook/records.h"

namespace tempo {

namespace {

using nlohmann::json;

constexpr const char* kManifestFormat = "tempo-lab-sweep-manifest";
constexpr int kManifestVersion = 1;

void writeText(const std::filesystem::path& file, const std::string& text, bool executable)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out)
        throw InvalidArgument(expectedFound("file '" + file.string() + "'", "writable", "a write failure"));
    if (executable)
        std::filesystem::permissions(file, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_exec,
                                     std::filesystem::perm_options::add);
}

std::string sbatchScript(const SweepRequest& request, const std::filesystem::path& folder,
                         const SlurmArrayOptions& options, int64_t tasks, int64_t points)
{
    const std::string dir = shellQuote(folder.string());
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# TEMPO Lab sweep of preset " << request.preset.preset.id << " as a Slurm array job, written by\n"
      << "# `tempo-lab-cli sweep ... --emit-slurm`: " << points << " points (prompts x thresholds) in " << tasks
      << " tasks.\n"
      << "# Task i runs slice i/" << tasks << " of the points into shards/shard-<i>.sqlite; a task run again\n"
      << "# resumes its shard. Submit with `sbatch sweep.sbatch` (sbatch options on the command line, such as\n"
      << "# --partition or --time, override the lines below), then bring the shards home: bash merge.sh NOTEBOOK\n"
      << "#SBATCH --job-name=tempo-sweep-" << request.preset.preset.id << "\n"
      << "#SBATCH --array=0-" << tasks - 1 << "\n"
      << "#SBATCH --output=" << (folder / "logs" / "task-%a.out").string() << "\n"
      << "#SBATCH --ntasks=1\n";
    if (request.options.threads > 0)
        s << "#SBATCH --cpus-per-task=" << request.options.threads << "\n";
    if (request.options.device == c10::DeviceType::CUDA)
        s << "#SBATCH --gres=gpu:1\n";
    s << "set -euo pipefail\n"
      << "sweep_dir=" << dir << "\n"
      << "cli=\"${TEMPO_LAB_CLI:-" << options.cliPath.string() << "}\"\n"
      << "task=\"${SLURM_ARRAY_TASK_ID:?SLURM_ARRAY_TASK_ID is not set: submit with sbatch}\"\n"
      << "mkdir -p \"$sweep_dir/shards\" \"$sweep_dir/logs\"\n"
      << "exec \"$cli\" sweep --manifest \"$sweep_dir/sweep.json\" --slice \"$task/" << tasks << "\" \\\n"
      << "    --notebook \"$sweep_dir/shards/shard-$task.sqlite\" --threads \"${SLURM_CPUS_PER_TASK:-"
      << request.options.threads << "}\"\n";
    return s.str();
}

std::string mergeScript(const std::filesystem::path& folder, const SlurmArrayOptions& options, int64_t tasks)
{
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# Brings the shards of this sweep home: bash merge.sh [NOTEBOOK] (default: the default notebook).\n"
      << "# Safe to run again (runs already merged are skipped); a missing shard is named and the exit status\n"
      << "# is 1 so that a failed task is not mistaken for a complete sweep.\n"
      << "set -euo pipefail\n"
      << "sweep_dir=" << shellQuote(folder.string()) << "\n"
      << "cli=\"${TEMPO_LAB_CLI:-" << options.cliPath.string() << "}\"\n"
      << "notebook=()\n"
      << "if [ $# -ge 1 ]; then notebook=(--notebook \"$1\" --create); fi\n"
      << "missing=0\n"
      << "for task in $(seq 0 " << tasks - 1 << "); do\n"
      << "  shard=\"$sweep_dir/shards/shard-$task.sqlite\"\n"
      << "  if [ ! -f \"$shard\" ]; then echo \"merge.sh: task $task has no shard ($shard)\" >&2; missing=1; continue; fi\n"
      << "  \"$cli\" merge \"$shard\" \"${notebook[@]}\"\n"
      << "done\n"
      << "exit $missing\n";
    return s.str();
}

const json& field(const json& manifest, const char* name, const std::string& where)
{
    if (!manifest.contains(name))
        throw InvalidArgument(expectedFound(where + " field '" + name + "'", "present", "no such field"));
    return manifest[name];
}

} // namespace

std::string shellQuote(const std::string& text)
{
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

SlurmArrayFiles writeSlurmArray(const SweepRequest& request, const std::filesystem::path& folder,
                                const SlurmArrayOptions& options)
{
    if (request.suite.empty() || request.thresholds.empty())
        throw InvalidArgument(expectedFound("sweep", "at least one prompt and one threshold", "an empty sweep"));
    for (double t : request.thresholds)
        applyOverrides(request.preset.preset, {"threshold=" + json(t).dump()}); // refuses a bad one by name
    if (options.tasks < 0)
        throw InvalidArgument(expectedFound("--tasks", "1 or more (0: one task per point)", std::to_string(options.tasks)));
    const auto model = std::filesystem::absolute(request.modelFolder).lexically_normal();
    if (!std::filesystem::exists(model / "config.json"))
        throw ConfigError(expectedFound("model folder '" + model.string() + "'", "a config.json (the compute nodes read it)",
                                        "none"));
    const auto dir = std::filesystem::absolute(folder).lexically_normal();
    SlurmArrayFiles files;
    files.manifest = dir / "sweep.json";
    files.script = dir / "sweep.sbatch";
    files.mergeScript = dir / "merge.sh";
    if (std::filesystem::exists(files.manifest))
        throw InvalidArgument(expectedFound("--emit-slurm folder '" + dir.string() + "'", "a folder without sweep.json",
                                            "an earlier sweep's manifest") +
                              "; choose another folder, nothing is overwritten");
    std::filesystem::create_directories(dir / "shards");
    std::filesystem::create_directories(dir / "logs");

    files.points = static_cast<int64_t>(request.suite.size() * request.thresholds.size());
    files.tasks = options.tasks == 0 ? files.points : std::min(options.tasks, files.points);
    files.sweepUuid = request.sweepUuid.empty() ? notebook::newUuid() : request.sweepUuid;
    json suite = json::array();
    for (const auto& entry : request.suite) {
        json line{{"category", entry.category}, {"prompt", entry.prompt}};
        if (entry.steps > 0)
            line["steps"] = entry.steps;
        suite.push_back(line);
    }
    const json manifest{{"format", kManifestFormat},
                        {"version", kManifestVersion},
                        {"sweep_uuid", files.sweepUuid},
                        {"preset", presetToJson(request.preset.preset)},
                        {"preset_shipped", request.preset.shipped},
                        {"model_folder", model.string()},
                        {"device", ComputeOptions::deviceName(request.options.device)},
                        {"dtype", ComputeOptions::dtypeName(request.options.dtype)},
                        {"threads", request.options.threads},
                        {"suite", suite},
                        {"thresholds", request.thresholds},
                        {"tasks", files.tasks},
                        {"points", files.points}};
    writeText(files.manifest, manifest.dump(2) + "\n", false);
    writeText(files.script, sbatchScript(request, dir, options, files.tasks, files.points), true);
    writeText(files.mergeScript, mergeScript(dir, options, files.tasks), true);
    return files;
}

SweepRequest readSweepManifest(const std::filesystem::path& file)
{
    const std::string where = "sweep manifest '" + file.string() + "'";
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InvalidArgument(expectedFound(where, "a readable file", "cannot open it"));
    std::ostringstream text;
    text << in.rdbuf();
    const json manifest = json::parse(text.str(), nullptr, false);
    if (!manifest.is_object() || manifest.value("format", "") != kManifestFormat)
        throw InvalidArgument(expectedFound(where, std::string("a JSON object with \"format\": \"") + kManifestFormat + "\"",
                                            text.str().substr(0, 80)));
    if (manifest.value("version", 0) != kManifestVersion)
        throw InvalidArgument(expectedFound(where + " version", std::to_string(kManifestVersion),
                                            field(manifest, "version", where).dump()));
    try {
        SweepRequest request;
        request.sweepUuid = field(manifest, "sweep_uuid", where).get<std::string>();
        request.preset = {parsePreset(field(manifest, "preset", where), where + " preset"),
                          field(manifest, "preset_shipped", where).get<bool>()};
        request.modelFolder = field(manifest, "model_folder", where).get<std::string>();
        request.options.device = ComputeOptions::parseDevice(field(manifest, "device", where).get<std::string>());
        request.options.dtype = ComputeOptions::parseDtype(field(manifest, "dtype", where).get<std::string>());
        request.options.threads = field(manifest, "threads", where).get<int>();
        std::string suiteText;
        for (const auto& entry : field(manifest, "suite", where))
            suiteText += entry.dump() + "\n";
        request.suite = parseSuite(suiteText, where + " suite");
        request.thresholds = field(manifest, "thresholds", where).get<std::vector<double>>();
        return request;
    } catch (const json::exception& e) {
        throw InvalidArgument(expectedFound(where, "the fields tempo-lab-cli --emit-slurm writes", e.what()));
    }
}

} // namespace tempo
