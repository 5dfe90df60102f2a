#include "output/support.hpp"
