// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tracing/syscall_names.hpp"

#include <bpf/btf.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace zctrace {

std::string syscall_name(std::uint32_t nr)
{
    static const std::unordered_map<std::uint32_t, const char*> names = {
#include "syscall_table.inc"
    };
    const auto it = names.find(nr);
    return it == names.end() ? "nr_" + std::to_string(nr) : it->second;
}

namespace {

std::unordered_map<std::uint32_t, std::string> read_uring_op_names()
{
    std::unordered_map<std::uint32_t, std::string> names;
    std::unique_ptr<struct btf, void (*)(struct btf*)> vmlinux(btf__load_vmlinux_btf(), btf__free);
    if (!vmlinux)
        return names;
    const int id = btf__find_by_name_kind(vmlinux.get(), "io_uring_op", BTF_KIND_ENUM);
    if (id <= 0)
        return names;
    const struct btf_type* type = btf__type_by_id(vmlinux.get(), id);
    const struct btf_enum* values = btf_enum(type);
    constexpr std::string_view prefix = "IORING_OP_";
    for (int i = 0; i < btf_vlen(type); ++i) {
        std::string_view name = btf__name_by_offset(vmlinux.get(), values[i].name_off);
        if (!name.starts_with(prefix) || name == "IORING_OP_LAST")
            continue;
        std::string lower(name.substr(prefix.size()));
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        names.emplace(static_cast<std::uint32_t>(values[i].val), std::move(lower));
    }
    return names;
}

}  // namespace

std::string uring_request_name(std::uint32_t opcode)
{
    static const std::unordered_map<std::uint32_t, std::string> names = read_uring_op_names();
    const auto it = names.find(opcode);
    return "io_uring:" + (it == names.end() ? "op_" + std::to_string(opcode) : it->second);
}

}  // namespace zctrace
