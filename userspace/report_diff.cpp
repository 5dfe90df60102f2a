#include "report_diff.hpp"
