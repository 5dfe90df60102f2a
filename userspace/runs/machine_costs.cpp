// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "machine_costs.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/system.hpp"

namespace zctrace {
namespace {

using Clock = std::chrono::steady_clock;

// Best of a few rounds: the machine's cost, not the noise of a busy moment.
constexpr int kRounds = 5;

double seconds_since(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Keeps the compiler from dropping stores nothing reads.
inline void clobber_memory()
{
    asm volatile("" ::: "memory");
}

Result<double> memcpy_bandwidth()
{
    constexpr std::size_t kSource = 64u << 20, kBlock = 64u << 10;
    std::vector<char> source(kSource, 1), destination(kBlock, 0);
    double best = 0;
    for (int round = 0; round < kRounds; ++round) {
        const auto start = Clock::now();
        for (std::size_t at = 0; at < kSource; at += kBlock) {
            std::memcpy(destination.data(), source.data() + at, kBlock);
            clobber_memory();
        }
        const double seconds = seconds_since(start);
        if (seconds > 0)
            best = std::max(best, static_cast<double>(kSource) / seconds);
    }
    if (best <= 0)
        return Error{0, "the memcpy calibration took no measurable time"};
    return best;
}

double syscall_round_trip_ns()
{
    constexpr long kCalls = 20000;
    double best = 1e18;
    for (int round = 0; round < kRounds; ++round) {
        const auto start = Clock::now();
        for (long i = 0; i < kCalls; ++i)
            ::syscall(SYS_getppid);
        best = std::min(best, seconds_since(start) * 1e9 / kCalls);
    }
    return best;
}

Result<double> page_fault_ns()
{
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    constexpr std::size_t kBytes = 16u << 20;
    double best = 1e18;
    for (int round = 0; round < kRounds; ++round) {
        void* memory = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED)
            return Error::from_errno("map memory to time page faults");
        // Huge pages would make one fault of 512 pages.
        ::madvise(memory, kBytes, MADV_NOHUGEPAGE);
        auto* bytes = static_cast<volatile char*>(memory);
        const auto start = Clock::now();
        for (std::size_t at = 0; at < kBytes; at += page)
            bytes[at] = 1;
        best = std::min(best, seconds_since(start) * 1e9 / static_cast<double>(kBytes / page));
        ::munmap(memory, kBytes);
    }
    return best;
}

std::string boot_id()
{
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

}  // namespace

std::optional<MachineCosts> read_cached_machine_costs(const std::filesystem::path& cache)
{
    const std::string boot = boot_id();
    std::ifstream in(cache);
    if (!in)
        return std::nullopt;
    const auto document = nlohmann::json::parse(in, nullptr, false);
    MachineCosts costs;
    try {
        if (!document.is_object())
            return std::nullopt;
        costs = document.get<MachineCosts>();
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // a field of the wrong type: measure again
    }
    if (costs.boot_id != boot || costs.memcpy_bytes_per_second <= 0 || costs.syscall_round_trip_ns <= 0 ||
        costs.page_fault_ns <= 0 || costs.measured_at.empty())
        return std::nullopt;
    costs.from_cache = true;
    return costs;
}

void cache_machine_costs(const std::filesystem::path& cache, const MachineCosts& costs)
{
    std::error_code ignored;
    std::filesystem::create_directories(cache.parent_path(), ignored);
    const std::string temp = cache.string() + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(temp, std::ios::trunc);
        out << nlohmann::json(costs).dump(2) << "\n";
        if (!out.flush()) {
            std::filesystem::remove(temp, ignored);
            return;
        }
    }
    if (::rename(temp.c_str(), cache.c_str()) != 0)
        std::filesystem::remove(temp, ignored);
}

Result<MachineCosts> measure_machine_costs()
{
    MachineCosts costs;
    auto bandwidth = memcpy_bandwidth();
    if (!bandwidth)
        return bandwidth.error();
    costs.memcpy_bytes_per_second = *bandwidth;
    costs.syscall_round_trip_ns = syscall_round_trip_ns();
    auto fault = page_fault_ns();
    if (!fault)
        return fault.error();
    costs.page_fault_ns = *fault;
    costs.boot_id = boot_id();
    costs.measured_at = utc_now();
    return costs;
}

Result<MachineCosts> machine_costs(const std::filesystem::path& cache)
{
    static std::mutex lock;
    static std::optional<MachineCosts> measured;
    const std::lock_guard<std::mutex> guard(lock);
    if (measured)
        return *measured;
    if (auto cached = read_cached_machine_costs(cache)) {
        measured = *cached;
        return *measured;
    }
    auto fresh = measure_machine_costs();
    if (!fresh)
        return fresh.error();
    cache_machine_costs(cache, *fresh);
    measured = *fresh;
    return *measured;
}

}  // namespace zctrace
