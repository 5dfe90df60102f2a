// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Files zctrace writes appear whole or not at all: a temp file beside the
// target, fsync, rename. A killed writer's temp files are swept by the next
// writer into the same directory.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "report/run_report.hpp"

namespace zctrace {

// Writes <dir>/<stem>.json whole or not at all (temp file, fsync, rename);
// the stem is the technique unless given. Abandoned on a signal.
Result<std::filesystem::path> write_report(const Report& report, const std::filesystem::path& dir,
                                           const std::string& stem = "");
// What a signal that arrives before the rename does to the file. A run's
// report is abandoned: an interrupted run writes none. A summary or an
// export already under way is finished, whole.
enum class IfInterrupted { finish, abandon };

// The same for any JSON document (pretty-printed) or text. `remedy` ends
// the message when the directory refuses the file: which option to change.
Result<void> write_json_atomically(const nlohmann::json& document, const std::filesystem::path& path,
                                   const std::string& remedy = "choose a writable directory with --out",
                                   IfInterrupted if_interrupted = IfInterrupted::finish);
Result<void> write_text_atomically(const std::string& text, const std::filesystem::path& path,
                                   const std::string& remedy = "choose a writable directory with --out",
                                   IfInterrupted if_interrupted = IfInterrupted::finish);
// Fails with a clear message when reports cannot be written to dir.
Result<void> check_output_dir(const std::filesystem::path& dir);

}  // namespace zctrace
