// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// std::optional as JSON: null when empty. Every report field the theory or
// the kernel may leave empty is an optional.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

NLOHMANN_JSON_NAMESPACE_BEGIN
template <typename T>
struct adl_serializer<std::optional<T>> {
    static void to_json(json& j, const std::optional<T>& value)
    {
        if (value)
            j = *value;
        else
            j = nullptr;
    }
    static void from_json(const json& j, std::optional<T>& value)
    {
        if (j.is_null())
            value.reset();
        else
            value = j.get<T>();
    }
};
NLOHMANN_JSON_NAMESPACE_END
