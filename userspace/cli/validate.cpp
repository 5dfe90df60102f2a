#include "commands.hpp"

namespace zctrace::cli {

void setup_validate(CLI::App&, int&) {}

}  // namespace zctrace::cli
