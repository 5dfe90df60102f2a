// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What users read when they ask for help or get the command line wrong:
// the --help layout (names, value names and defaults in words, none of
// CLI11's internals), the glossary, and CLI11's parse errors in words.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace zctrace::cli {

// The formatter every command's --help uses.
std::shared_ptr<CLI::Formatter> make_help_formatter();

// The footer of `zctrace --help`: units, where to read more, exit statuses.
std::string top_level_footer();

// "SIZE: e.g. ...\nDURATION: e.g. ...": the units every size and duration takes.
std::string units_note();

// "zctrace 0.3.0 (git 0f33a8e)"
std::string version_text();

// A CLI11 parse error as one line that says what is wrong and what to do,
// without the "zctrace <command>:" prefix.
std::string describe_parse_error(const CLI::ParseError& error, const CLI::App& root);

// "zctrace run [OPTIONS] TECHNIQUE...", with `name` for "zctrace run".
std::string usage_line(const CLI::App& command, const std::string& name);

// zctrace(8) in roff, from the same definitions as --help (man_page.cpp).
std::string man_page(const CLI::App& root);

// "list, doctor, run, ..."
std::string command_names(const CLI::App& root);

}  // namespace zctrace::cli
