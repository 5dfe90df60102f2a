// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "base/error.hpp"

#include <cstring>

namespace zctrace {

Error Error::from_errno(std::string what, int err)
{
    return Error{err, std::move(what)};
}

std::string Error::describe() const
{
    if (code == 0)
        return message;
    return message + ": " + std::strerror(code);
}

}  // namespace zctrace
