#include "commands.hpp"

namespace zctrace::cli {

void setup_summarize(CLI::App&, int&) {}

}  // namespace zctrace::cli
