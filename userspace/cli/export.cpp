#include "commands.hpp"

namespace zctrace::cli {

void setup_export(CLI::App&, int&) {}

}  // namespace zctrace::cli
