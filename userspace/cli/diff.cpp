#include "commands.hpp"

namespace zctrace::cli {

void setup_diff(CLI::App&, int&) {}

}  // namespace zctrace::cli
