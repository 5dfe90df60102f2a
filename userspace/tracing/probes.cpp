// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tracing/probes.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <type_traits>

#include "base/fd.hpp"
#include "base/signals.hpp"
#include "base/system.hpp"
#include "bpf/block.skel.h"
#include "bpf/floor.skel.h"
#include "bpf/memory.skel.h"
#include "bpf/net.skel.h"
#include "bpf/sched.skel.h"
#include "bpf/syscalls.skel.h"
#include "tracing/libbpf_log.hpp"

namespace zctrace {

std::uint32_t kernel_dev(dev_t dev)
{
    return (static_cast<std::uint32_t>(major(dev)) << 20) | static_cast<std::uint32_t>(minor(dev));
}

namespace {

template <typename Skel>
struct SkeletonOps {
    Skel* (*open)();
    int (*load)(Skel*);
    void (*destroy)(Skel*);
};

#define ZC_SKELETON_OPS(name) \
    SkeletonOps<name> { &name##__open, &name##__load, &name##__destroy }

template <typename Skel>
using SkeletonPtr = std::unique_ptr<Skel, void (*)(Skel*)>;

using LinkPtr = std::unique_ptr<bpf_link, int (*)(bpf_link*)>;

bool ends_with(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The threads of process pid now, its leader among them.
std::vector<pid_t> threads_of(pid_t pid)
{
    std::vector<pid_t> threads;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error))
    {
        const std::string name = task.path().filename().string();
        pid_t tid = 0;
        if (std::from_chars(name.data(), name.data() + name.size(), tid).ec == std::errc{})
            threads.push_back(tid);
    }
    return threads;
}

// Programs named <hook>_btf and <hook>_raw are twins and only one may load.
// Returns whether the object has any twins, i.e. whether a fallback exists.
bool select_variant(bpf_object* obj, bool prefer_btf)
{
    bool twins = false;
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj)
    {
        const std::string_view name = bpf_program__name(prog);
        if (ends_with(name, "_btf")) {
            twins = true;
            bpf_program__set_autoload(prog, prefer_btf);
        } else if (ends_with(name, "_raw")) {
            twins = true;
            bpf_program__set_autoload(prog, !prefer_btf);
        }
    }
    return twins;
}

// trace --hooks light: none of the object's programs load (its maps still
// do, so the other groups can share them).
void leave_out_programs(bpf_object* obj)
{
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj)
    {
        bpf_program__set_autoload(prog, false);
    }
}

// Every key's value of a __u64 array (per-CPU ones summed over CPUs) in as
// few bpf() calls as the kernel allows: one BPF_MAP_LOOKUP_BATCH instead of a
// lookup per key. Each bpf() call also runs zctrace's own system-wide syscall
// probes, so reading key by key would inflate the overhead an --interval
// sample reports. Kernels without batch lookups on arrays get the loop.
Result<std::vector<std::uint64_t>> read_u64_array(const bpf_map* map)
{
    const bool per_cpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY;
    const int possible = per_cpu ? libbpf_num_possible_cpus() : 1;
    if (possible <= 0)
        return Error::from_errno("cannot count possible CPUs", -possible);
    const auto cpus = static_cast<std::size_t>(possible);
    const std::uint32_t entries = bpf_map__max_entries(map);
    std::vector<std::uint32_t> keys(entries);
    std::vector<std::uint64_t> values(static_cast<std::size_t>(entries) * cpus);
    std::uint32_t done = 0, next_key = 0;
    bool batched = true;
    while (done < entries) {
        std::uint32_t count = entries - done;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        const int err = bpf_map_lookup_batch(bpf_map__fd(map), done ? &next_key : nullptr, &next_key,
                                             keys.data() + done, values.data() + done * cpus, &count, &opts);
        if (err == -ENOENT) {  // the end of the array
            done += count;
            break;
        }
        if (err == 0) {
            done += count;
            continue;
        }
        if (done == 0 && (err == -EINVAL || err == -ENOTSUP || err == -524 /* ENOTSUPP */)) {
            batched = false;
            break;
        }
        return Error::from_errno(std::string("cannot read BPF map ") + bpf_map__name(map), -err);
    }
    if (!batched) {
        for (std::uint32_t key = 0; key < entries; ++key)
            if (bpf_map__lookup_elem(map, &key, sizeof key, values.data() + key * cpus,
                                     sizeof(std::uint64_t) * cpus, 0) != 0)
                return Error::from_errno(std::string("cannot read BPF map ") + bpf_map__name(map));
        done = entries;
    }
    if (done != entries)
        return Error{0, std::string("BPF map ") + bpf_map__name(map) + " gave " + std::to_string(done) + " of " +
                            std::to_string(entries) + " entries"};
    std::vector<std::uint64_t> sums(entries);
    for (std::size_t key = 0; key < entries; ++key)
        for (std::size_t cpu = 0; cpu < cpus; ++cpu)
            sums[key] += values[key * cpus + cpu];
    return sums;
}

// The u64 words of an array kept by CPU (an entry per possible CPU: the
// totals, probe_runs, syscall_counts; zctrace.bpf.h), summed over the CPUs:
// as many words as the entry has, cache-line padding included. One
// BPF_MAP_LOOKUP_BATCH where the kernel has it.
Result<std::vector<std::uint64_t>> sum_words_by_cpu(const bpf_map* map)
{
    const std::size_t words = bpf_map__value_size(map) / sizeof(std::uint64_t);
    const std::uint32_t cpus = bpf_map__max_entries(map);
    std::vector<std::uint32_t> keys(cpus);
    std::vector<std::uint64_t> values(words * cpus);
    std::uint32_t count = cpus;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int err = bpf_map_lookup_batch(bpf_map__fd(map), nullptr, nullptr, keys.data(), values.data(), &count, &opts);
    if ((err != 0 && err != -ENOENT) || count != cpus)
        for (std::uint32_t cpu = 0; cpu < cpus; ++cpu)
            if (bpf_map__lookup_elem(map, &cpu, sizeof cpu, values.data() + cpu * words,
                                     words * sizeof(std::uint64_t), 0) != 0)
                return Error::from_errno(std::string("cannot read BPF map ") + bpf_map__name(map));
    std::vector<std::uint64_t> sums(words);
    for (std::size_t cpu = 0; cpu < cpus; ++cpu)
        for (std::size_t word = 0; word < words; ++word)
            sums[word] += values[cpu * words + word];
    return sums;
}

// The sum over CPUs of a value made only of __u64 fields: `key`'s in a
// per-CPU map, or the entry of an array kept by CPU (sum_words_by_cpu).
template <typename T>
Result<T> sum_percpu(const bpf_map* map, std::uint32_t key)
{
    static_assert(sizeof(T) % sizeof(std::uint64_t) == 0);
    if (bpf_map__type(map) == BPF_MAP_TYPE_ARRAY) {
        auto sums = sum_words_by_cpu(map);
        if (!sums)
            return sums.error();
        if (sums->size() * sizeof(std::uint64_t) < sizeof(T))
            return Error{0, std::string("BPF map ") + bpf_map__name(map) + " holds less than its reader expects"};
        T out;
        std::memcpy(&out, sums->data(), sizeof out);
        return out;
    }
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        return Error::from_errno("cannot count possible CPUs", -cpus);
    std::vector<T> values(static_cast<std::size_t>(cpus));
    if (bpf_map__lookup_elem(map, &key, sizeof key, values.data(), sizeof(T) * values.size(), 0) != 0)
        return Error::from_errno(std::string("cannot read BPF map ") + bpf_map__name(map));
    constexpr std::size_t words = sizeof(T) / sizeof(std::uint64_t);
    std::uint64_t total[words] = {};
    for (const T& value : values) {
        std::uint64_t part[words];
        std::memcpy(part, &value, sizeof part);
        for (std::size_t i = 0; i < words; ++i)
            total[i] += part[i];
    }
    T out;
    std::memcpy(&out, total, sizeof out);
    return out;
}

// The links of every attached program, with what each one is.
struct AttachedPrograms {
    std::vector<LinkPtr> links;
    std::vector<AttachedProbe> probes;
    std::vector<std::pair<std::string, const bpf_program*>> programs;

    Result<void> attach_all(const std::string& group, bpf_object* obj);
    // probe_runs, probe_timing: the programs' own counts (bpf/probe_cost.h);
    // null when the programs keep none (gather --observe).
    [[nodiscard]] std::vector<ProgramStats> stats(const bpf_map* probe_runs, const bpf_map* probe_timing) const;
};

}  // namespace

// The probe_runs slot of a program: its hook, the name less _btf or _raw,
// and less _every_task or _cpu_cache (the syscall hooks' variants that test
// every task, or let untraced ones go by the role their CPU remembers).
std::optional<std::uint32_t> probe_hook_slot(std::string_view program)
{
    static constexpr std::string_view hooks[] = {
#define ZC_PROBE_NAME(hook) #hook,
        ZC_PROBE_HOOKS(ZC_PROBE_NAME)
#undef ZC_PROBE_NAME
    };
    static_assert(std::size(hooks) == ZC_PROBE_HOOK_COUNT);
    if (ends_with(program, "_btf") || ends_with(program, "_raw"))
        program.remove_suffix(4);
    for (const std::string_view variant : {std::string_view("_every_task"), std::string_view("_cpu_cache")})
        if (ends_with(program, variant))
            program.remove_suffix(variant.size());
    for (std::uint32_t slot = 0; slot < ZC_PROBE_HOOK_COUNT; ++slot)
        if (hooks[slot] == program)
            return slot;
    return std::nullopt;
}

namespace {

Result<void> AttachedPrograms::attach_all(const std::string& group, bpf_object* obj)
{
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj)
    {
        // BPF_PROG_TYPE_SYSCALL programs are run by zctrace, not attached.
        if (!bpf_program__autoload(prog) || bpf_program__type(prog) == BPF_PROG_TYPE_SYSCALL)
            continue;
        const std::string name = bpf_program__name(prog);
        const std::string section = bpf_program__section_name(prog);
        bpf_link* link = bpf_program__attach(prog);
        if (!link)
            return Error::from_errno("cannot attach " + group + "/" + name + " (" + section + ")");
        links.emplace_back(link, &bpf_link__destroy);
        const auto slash = section.find('/');
        probes.push_back({group, name, section.substr(slash + 1), section.substr(0, slash)});
        programs.emplace_back(group, prog);
    }
    return {};
}

// What the kernel keeps for a program: bpf_stats' run count and time, and
// the runs it skipped because the program was busy on that CPU.
std::optional<bpf_prog_info> program_info(const bpf_program* prog)
{
    bpf_prog_info info{};
    std::uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &length) != 0)
        return std::nullopt;
    return info;
}

std::vector<ProgramStats> AttachedPrograms::stats(const bpf_map* probe_runs, const bpf_map* probe_timing) const
{
    std::optional<zc_probe_runs> runs;
    if (probe_runs)
        if (auto read = sum_percpu<zc_probe_runs>(probe_runs, 0))
            runs = *read;
    std::vector<ProgramStats> stats;
    for (const auto& [group, prog] : programs) {
        ProgramStats entry{group, bpf_program__name(prog)};
        if (const auto info = program_info(prog)) {
            entry.run_ns = info->run_time_ns;
            entry.run_count = info->run_cnt;
            entry.recursion_misses = info->recursion_misses;
        }
        if (const auto slot = probe_hook_slot(entry.program); slot && runs && probe_timing) {
            // Summed over CPUs as u64 words: runs is right, since_timed
            // and its padding are not, and are not used.
            entry.counted_runs = runs->runs[*slot];
            if (auto timing = sum_percpu<zc_probe_timing>(probe_timing, *slot)) {
                entry.timed_runs = timing->timed_runs;
                entry.timed_ns = timing->timed_ns;
                entry.timed_ns_squared = timing->timed_ns_squared;
                entry.interrupted_runs = timing->interrupted_runs;
                entry.accounting_ns = timing->accounting_ns;
            }
        }
        stats.push_back(std::move(entry));
    }
    return stats;
}

// Runs a BPF_PROG_TYPE_SYSCALL program once.
Result<void> run_syscall_program(const bpf_program* prog)
{
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    if (const int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts); err)
        return Error::from_errno(std::string("cannot run ") + bpf_program__name(prog), -err);
    return {};
}

// The clock's share of a timed run (see calibrate_clock in syscalls.bpf.c).
Result<double> calibrate_timed_run(zc_syscalls& skel)
{
    if (auto ran = run_syscall_program(skel.progs.calibrate_clock); !ran)
        return ran.error();
    const zc_clock_calibration& calibration = skel.bss->clock_calibration;
    if (!calibration.reads_per_round)
        return Error{0, "the clock calibration did not run"};
    return static_cast<double>(calibration.best_round_ns) / static_cast<double>(calibration.reads_per_round);
}

// What bpf_stats reads for an empty program: its own two clock reads. The
// mean of many runs, read while bpf_stats is on.
Result<double> calibrate_bpf_stats(const zc_syscalls& skel)
{
    constexpr int kRuns = 2000;
    const bpf_program* empty = skel.progs.stats_floor;
    const auto before = program_info(empty);
    if (!before)
        return Error::from_errno("cannot read the stats_floor program's bpf_stats");
    for (int i = 0; i < kRuns; ++i)
        if (auto ran = run_syscall_program(empty); !ran)
            return ran.error();
    const auto after = program_info(empty);
    if (!after || after->run_cnt == before->run_cnt)
        return Error{0, "bpf_stats did not count the stats_floor program's runs"};
    return static_cast<double>(after->run_time_ns - before->run_time_ns) /
           static_cast<double>(after->run_cnt - before->run_cnt);
}

// Holding the returned fd keeps run_time_ns/run_cnt counting; closing it
// (however zctrace exits) switches bpf_stats back off.
Result<UniqueFd> enable_bpf_stats()
{
    const int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0)
        return Error::from_errno("cannot enable bpf_stats, which every report needs for its overhead figures", -fd);
    return UniqueFd(fd);
}

// The per-device counters of the net group, summed over CPUs. Each CPU
// claims slots on its own, so one slot may hold different devices on
// different CPUs: entries are grouped by (namespace, ifindex), not by slot.
Result<std::vector<DeviceTraffic>> read_device_map(const bpf_map* map)
{
    std::map<std::pair<std::uint64_t, std::uint32_t>, DeviceTraffic> by_device;
    const int cpus = libbpf_num_possible_cpus();
    std::vector<zc_device_xmit> per_cpu(static_cast<std::size_t>(std::max(cpus, 1)));
    for (std::uint32_t slot = 0; slot < ZC_MAX_DEVICES; ++slot) {
        if (bpf_map__lookup_elem(map, &slot, sizeof slot, per_cpu.data(),
                                 per_cpu.size() * sizeof(zc_device_xmit), 0) != 0)
            return Error::from_errno("cannot read the device map");
        for (const zc_device_xmit& entry : per_cpu) {
            if (!entry.skbs)
                continue;
            DeviceTraffic& device = by_device[{entry.netns_cookie, entry.ifindex}];
            device.ifindex = entry.ifindex;
            device.netns = entry.netns;
            device.name.assign(entry.name, strnlen(entry.name, sizeof entry.name));
            device.flags = entry.flags;
            device.has_parent = entry.has_parent != 0;
            device.sg = entry.sg != 0;
            device.skbs += entry.skbs;
            device.bytes += entry.bytes;
            device.payload_bytes += entry.payload_bytes;
            device.header_bytes += entry.header_bytes;
            device.linear_payload_bytes += entry.linear_payload_bytes;
            device.shared_frag_bytes += entry.shared_frag_bytes;
            device.zerocopy_frag_bytes += entry.zerocopy_frag_bytes;
            device.copied_frag_bytes += entry.copied_frag_bytes;
        }
    }
    std::vector<DeviceTraffic> devices;
    for (auto& [key, device] : by_device)
        devices.push_back(std::move(device));
    return devices;
}

}  // namespace

// A BPF_F_MMAPABLE array map, mapped whole into zctrace, so that zctrace
// can update its entries with atomics beside the probes' own.
class MapMapping {
public:
    MapMapping() = default;
    MapMapping(const MapMapping&) = delete;
    MapMapping& operator=(const MapMapping&) = delete;
    ~MapMapping()
    {
        if (address_)
            ::munmap(address_, bytes_);
    }
    Result<void> map(const bpf_map* map, const char* what)
    {
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        entries_ = bpf_map__max_entries(map);
        bytes_ = (static_cast<std::size_t>(entries_) * bpf_map__value_size(map) + page - 1) / page * page;
        void* address = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
        if (address == MAP_FAILED)
            return Error::from_errno(std::string("cannot map the ") + what);
        address_ = address;
        return {};
    }
    [[nodiscard]] bool mapped() const { return address_ != nullptr; }
    template <typename T>
    [[nodiscard]] T* entries() const
    {
        return static_cast<T*>(address_);
    }
    [[nodiscard]] std::size_t count() const { return entries_; }

private:
    void* address_ = nullptr;
    std::size_t bytes_ = 0;
    std::uint32_t entries_ = 0;
};

// trace mode: the `followed` bitmap, where pids are set with atomic ORs.
class MappedWords {
public:
    Result<void> map(const bpf_map* map, const char* what) { return mapping_.map(map, what); }
    [[nodiscard]] bool mapped() const { return mapping_.mapped(); }
    bool set_bit(std::uint32_t bit)
    {
        if (bit / 64 >= mapping_.count())
            return false;
        __atomic_fetch_or(&words()[bit / 64], std::uint64_t{1} << (bit % 64), __ATOMIC_SEQ_CST);
        return true;
    }
    [[nodiscard]] std::size_t count_bits() const
    {
        std::size_t total = 0;
        for (std::size_t i = 0; i < mapping_.count(); ++i)
            total += static_cast<std::size_t>(std::popcount(__atomic_load_n(&words()[i], __ATOMIC_RELAXED)));
        return total;
    }

private:
    [[nodiscard]] std::uint64_t* words() const { return mapping_.entries<std::uint64_t>(); }
    MapMapping mapping_;
};

// The tracking entry (bpf/tracking.h): userspace sets the tgids and moves
// the task generation on with atomics, beside the probes' own.
class MappedTracking {
public:
    Result<void> map(const bpf_map* map) { return mapping_.map(map, "tracking entry"); }
    void set_tgid(zc_role role, std::uint32_t tgid)
    {
        __atomic_store_n(role == ZC_ROLE_SENDER ? &entry()->sender_tgid : &entry()->receiver_tgid, tgid,
                         __ATOMIC_SEQ_CST);
    }
    // After any change to who is tracked: the probes work roles out afresh.
    void roles_changed() { __atomic_fetch_add(&entry()->task_generation, 1, __ATOMIC_SEQ_CST); }
    // Every field back to zero but the generation, which never goes back.
    void clear()
    {
        constexpr std::size_t kept = offsetof(zc_tracking, task_generation);
        constexpr std::size_t after = kept + sizeof(zc_tracking::task_generation);
        std::memset(static_cast<void*>(entry()), 0, kept);
        std::memset(reinterpret_cast<char*>(entry()) + after, 0, sizeof(zc_tracking) - after);
        roles_changed();
    }

private:
    [[nodiscard]] zc_tracking* entry() const { return mapping_.entries<zc_tracking>(); }
    MapMapping mapping_;
};

// Words of the followed bitmap: one bit per possible pid.
std::uint32_t followed_words()
{
    std::uint64_t pid_max = 4194304;  // the most PID_MAX_LIMIT allows on 64-bit
    std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
    return static_cast<std::uint32_t>((pid_max + 63) / 64);
}

struct Tracer::Impl {
    SkeletonPtr<zc_syscalls> syscalls{nullptr, nullptr};
    SkeletonPtr<zc_sched> sched{nullptr, nullptr};
    SkeletonPtr<zc_memory> memory{nullptr, nullptr};
    SkeletonPtr<zc_net> net{nullptr, nullptr};
    SkeletonPtr<zc_block> block{nullptr, nullptr};
    // With bpf_stats on: an empty program beside each of ours, on its hook.
    SkeletonPtr<zc_floor> stats_clocks{nullptr, nullptr};
    // Declared after the skeletons so links are destroyed first.
    AttachedPrograms attached;
    AttachedPrograms stats_clocks_attached;
    std::array<const bpf_program*, ZC_PROBE_HOOK_COUNT> stats_clock_by_slot{};
    double attach_seconds = 0;
    UniqueFd stats;
    ProbeClock clock;
    MappedWords followed;  // trace mode
    MappedTracking tracking;
    // The typed syscall hooks let a task go at once unless it holds task
    // storage (syscalls.bpf.c), so every thread tracked or followed gets a
    // tracked_tasks entry; not with the *_every_task variants or the raw twins.
    bool marks_tasks = false;

    // What the probes were attached for, and the writable globals (.data,
    // .bss) as they stood when loaded: retarget() puts them back.
    ProbeTarget target;
    bool retargeted = false;  // reset for another run after the first
    struct GlobalsImage {
        bpf_map* map = nullptr;
        std::vector<char> loaded;
    };
    std::vector<GlobalsImage> globals;

    Result<void> mark_threads(pid_t pid) const;
    Result<PageSummary> read_pages() const;
    Result<std::vector<ProcessCounters>> read_processes() const;
    std::vector<bpf_object*> objects() const;
    void keep_loaded_globals();
    Result<void> clear_counters();
    void set_run_values(const ProbeTarget& run);
    // While bpf_stats is on, and once: what it reads for an empty program.
    Result<void> calibrate_bpf_stats_once();
    // Empty programs beside ours, on the hooks ours are attached to.
    Result<void> attach_stats_clocks();
};

namespace {

// libbpf's maps for a program's writable globals; .rodata and .kconfig are
// frozen at load.
bool holds_writable_globals(const bpf_map* map)
{
    const std::string_view name = bpf_map__name(map);
    return bpf_map__is_internal(map) && (ends_with(name, ".data") || ends_with(name, ".bss"));
}

// Every value of an array (each CPU's, for a per-CPU one) back to zero, or
// every entry of a hash gone.
Result<void> clear_map(const bpf_map* map)
{
    const int fd = bpf_map__fd(map);
    const bpf_map_type type = bpf_map__type(map);
    if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
        const std::size_t value = bpf_map__value_size(map);
        const std::size_t width = type == BPF_MAP_TYPE_PERCPU_ARRAY
                                      ? ((value + 7) / 8 * 8) * static_cast<std::size_t>(libbpf_num_possible_cpus())
                                      : value;
        // One BPF_MAP_UPDATE_BATCH rather than a bpf() call per entry: the
        // inflight slots alone are 8192 entries, reset between the runs.
        const std::uint32_t entries = bpf_map__max_entries(map);
        std::vector<std::uint32_t> keys(entries);
        for (std::uint32_t key = 0; key < entries; ++key)
            keys[key] = key;
        const std::vector<char> all_zeros(width * entries, 0);
        std::uint32_t count = entries;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        if (bpf_map_update_batch(fd, keys.data(), all_zeros.data(), &count, &opts) == 0 && count == entries)
            return {};
        const std::vector<char> zeros(width, 0);
        for (std::uint32_t key = 0; key < entries; ++key)
            if (bpf_map_update_elem(fd, &key, zeros.data(), BPF_ANY) != 0)
                return Error::from_errno(std::string("cannot clear map ") + bpf_map__name(map));
        return {};
    }
    if (type == BPF_MAP_TYPE_HASH) {
        std::vector<char> key(bpf_map__key_size(map));
        // Always the first key: deleting while walking would lose the place.
        while (bpf_map_get_next_key(fd, nullptr, key.data()) == 0)
            if (bpf_map_delete_elem(fd, key.data()) != 0 && errno != ENOENT)
                return Error::from_errno(std::string("cannot clear map ") + bpf_map__name(map));
        return {};
    }
    return Error{0, std::string("cannot clear map ") + bpf_map__name(map) + ": its type has no reset"};
}

}  // namespace

std::vector<bpf_object*> Tracer::Impl::objects() const
{
    return {syscalls->obj, sched->obj, memory->obj, net->obj, block->obj};
}

void Tracer::Impl::keep_loaded_globals()
{
    for (bpf_object* obj : objects()) {
        bpf_map* map = nullptr;
        bpf_object__for_each_map(map, obj)
        {
            std::size_t size = 0;
            const void* memory = bpf_map__initial_value(map, &size);
            if (holds_writable_globals(map) && memory)
                globals.push_back({map, std::vector<char>(static_cast<const char*>(memory),
                                                          static_cast<const char*>(memory) + size)});
        }
    }
}

Result<void> Tracer::Impl::clear_counters()
{
    std::set<int> cleared;  // the tracking maps are shared by every group
    for (bpf_object* obj : objects()) {
        bpf_map* map = nullptr;
        bpf_object__for_each_map(map, obj)
        {
            // The tracking entry keeps its task generation (below). The
            // tracked tasks' marks are no counters: each goes with its task.
            const std::string_view name = bpf_map__name(map);
            if (bpf_map__is_internal(map) || name == "tracking" || name == "tracked_tasks" ||
                !cleared.insert(bpf_map__fd(map)).second)
                continue;
            if (auto done = clear_map(map); !done)
                return done;
        }
    }
    tracking.clear();
    for (const GlobalsImage& image : globals) {
        std::size_t size = 0;
        // After load this is the map's own memory, mapped: writing it is live.
        void* memory = const_cast<void*>(bpf_map__initial_value(image.map, &size));
        if (!memory || size != image.loaded.size())
            return Error{0, std::string("cannot reset the globals in ") + bpf_map__name(image.map)};
        std::memcpy(memory, image.loaded.data(), size);
    }
    return {};
}

Result<void> Tracer::Impl::calibrate_bpf_stats_once()
{
    if (stats.get() < 0 || clock.bpf_stats_run_ns > 0)
        return {};
    auto stats_run = calibrate_bpf_stats(*syscalls);
    if (!stats_run)
        return stats_run.error();
    clock.bpf_stats_run_ns = *stats_run;
    return {};
}

void Tracer::Impl::set_run_values(const ProbeTarget& run)
{
    syscalls->bss->marker_cookie = run.marker_cookie;
    syscalls->bss->attribute_uring = run.uring_sends;
    memory->bss->buffer_bytes = run.buffer_bytes;
    memory->bss->copy_dest_ino = run.copy_ino;
    memory->bss->copy_dest_dev = run.copy_dev;
    memory->bss->copy_dest_bytes = run.copy_bytes;
}

// Every entry of a hash map, in key order. Entries that go while the map is
// walked (an exiting process, a closing socket) are skipped.
template <typename Key, typename Value>
Result<std::vector<std::pair<Key, Value>>> read_hash(const bpf_map* map, const std::string& what)
{
    std::vector<std::pair<Key, Value>> entries;
    Key key{}, next{};
    for (const Key* previous = nullptr;; previous = &key) {
        if (bpf_map__get_next_key(map, previous, &next, sizeof next) != 0) {
            if (errno == ENOENT)
                break;
            return Error::from_errno("cannot list " + what);
        }
        Value value{};
        if (bpf_map__lookup_elem(map, &next, sizeof next, &value, sizeof value, 0) == 0)
            entries.emplace_back(next, value);
        key = next;
    }
    if constexpr (std::is_arithmetic_v<Key>)
        std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return entries;
}

Result<std::vector<ProcessCounters>> Tracer::Impl::read_processes() const
{
    // Run mode leaves the map empty, so this costs one bpf() call there.
    auto entries = read_hash<std::uint32_t, zc_proc_stats>(syscalls->maps.procs, "the traced processes");
    if (!entries)
        return entries.error();
    std::vector<ProcessCounters> processes;
    for (const auto& [tgid, stats] : *entries)
        processes.push_back({tgid, stats});
    // Calls each CPU's entry holds for its task, not yet added to the
    // task's process (bpf/probe_cost.h). Read after the processes: a batch
    // added in between is missed, as if read a moment earlier, never
    // counted twice.
    const bpf_map* runs = syscalls->maps.probe_runs;
    for (std::uint32_t cpu = 0; cpu < bpf_map__max_entries(runs); ++cpu) {
        zc_probe_runs entry{};
        if (bpf_map__lookup_elem(runs, &cpu, sizeof cpu, &entry, sizeof entry, 0) != 0 ||
            !entry.task.pending_syscalls)
            continue;
        for (ProcessCounters& process : processes)
            if (process.tgid == entry.task.tgid)
                process.stats.syscalls += entry.task.pending_syscalls;
    }
    return processes;
}

// The arrays with an entry per possible CPU (zctrace.bpf.h): probe_runs,
// syscall_counts and each group's ZC_CPU_TOTALS.
bool kept_by_cpu(const bpf_map* map)
{
    const std::string_view name = bpf_map__name(map);
    return bpf_map__type(map) == BPF_MAP_TYPE_ARRAY &&
           (name == "probe_runs" || name == "syscall_counts" || ends_with(name, "_totals"));
}

// Opens and loads one group (no attach): touches nothing shared, so the
// groups can load in parallel. Most of a load is libbpf parsing the kernel's
// BTF for CO-RE, once per object.
template <typename Skel, typename Configure>
Result<SkeletonPtr<Skel>> load_group(const std::string& group, SkeletonOps<Skel> ops, ProbeFlavor flavor,
                                     Configure configure)
{
    std::string failures;
    for (const bool prefer_btf : {true, false}) {
        SkeletonPtr<Skel> skel(ops.open(), ops.destroy);
        if (!skel)
            return Error::from_errno("cannot open the " + group + " BPF object");
        const bool has_twins = select_variant(skel->obj, prefer_btf);
        if (!prefer_btf && !has_twins)
            break;
        // Groups without twins (tp_btf only) load the same either way.
        if (prefer_btf && has_twins && flavor == ProbeFlavor::raw)
            continue;
        // The arrays kept by CPU get an entry per possible CPU
        // (zctrace.bpf.h); groups that share the syscalls group's
        // probe_runs take its size with its fd.
        bpf_map* map;
        bpf_object__for_each_map(map, skel->obj)
        {
            if (!kept_by_cpu(map))
                continue;
            if (const int cpus = libbpf_num_possible_cpus(); cpus <= 0 || bpf_map__set_max_entries(map, cpus) != 0)
                return Error::from_errno(std::string("cannot size the ") + bpf_map__name(map) +
                                         " map to the possible CPUs");
        }
        if (auto configured = configure(*skel); !configured)
            return configured.error();
        if (ops.load(skel.get()) == 0)
            return skel;
        failures += Error::from_errno(std::string(prefer_btf ? "tp_btf" : "raw_tp") + " variant").describe() + "; ";
        if (!has_twins)
            break;
    }
    std::string log = take_libbpf_log();
    return Error{0, "cannot load the " + group + " probes (" + failures +
                        "run `zctrace doctor` to see what this kernel lacks)" +
                        (log.empty() ? "" : "\nlibbpf said:\n" + log)};
}

Tracer::Tracer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tracer::~Tracer() = default;

Result<std::unique_ptr<Tracer>> Tracer::attach(const ProbeTarget& target, ProbeFlavor flavor)
{
    // Whatever stops the probes from loading is something this kernel or
    // this process lacks; the CLI reports it as such (exit 3). A signal is
    // not.
    auto attached = attach_all_groups(target, nullptr, flavor);
    if (!attached && attached.error().kind != ErrorKind::interrupted)
        return Error(attached.error()).as(ErrorKind::unsupported);
    return attached;
}

Result<std::unique_ptr<Tracer>> Tracer::attach_trace(const TraceTarget& trace)
{
    auto attached = attach_all_groups(ProbeTarget{}, &trace, ProbeFlavor::typed);
    if (!attached && attached.error().kind != ErrorKind::interrupted)
        return Error(attached.error()).as(ErrorKind::unsupported);
    return attached;
}

// Every group gets the same mode before load; the verifier then drops the
// other mode's paths.
template <typename Skel>
void set_mode(Skel& skel, const TraceTarget* trace, bool stats_on)
{
    skel.rodata->trace_mode = trace != nullptr;
    skel.rodata->target_cgroup_id = trace ? trace->cgroup_id : 0;
    skel.rodata->target_cgroup_level = trace ? trace->cgroup_level : 0;
    skel.rodata->max_followed = trace ? trace->max_procs : 0;
    skel.rodata->light_hooks = trace && trace->light;
    skel.rodata->count_outside_window = stats_on;
    const long write_nrs[] = {SYS_write, SYS_pwrite64, SYS_writev, SYS_pwritev, SYS_pwritev2};
    static_assert(sizeof write_nrs / sizeof write_nrs[0] == sizeof skel.rodata->write_syscall_nrs / sizeof(__s64));
    for (std::size_t i = 0; i < sizeof write_nrs / sizeof write_nrs[0]; ++i)
        skel.rodata->write_syscall_nrs[i] = write_nrs[i];
}

Result<void> Tracer::Impl::attach_stats_clocks()
{
    std::array<bool, ZC_PROBE_HOOK_COUNT> ours{};
    for (const auto& [group, prog] : attached.programs)
        if (const auto slot = probe_hook_slot(bpf_program__name(prog)))
            ours[*slot] = true;
    const auto slot_of = [](const bpf_program* prog) {
        return probe_hook_slot(std::string_view(bpf_program__name(prog)).substr(std::strlen("floor_")));
    };
    auto loaded = load_group("floor", ZC_SKELETON_OPS(zc_floor), ProbeFlavor::typed, [&](zc_floor& s) -> Result<void> {
        bpf_program* prog;
        bpf_object__for_each_program(prog, s.obj)
        {
            const auto slot = slot_of(prog);
            bpf_program__set_autoload(prog, slot && ours[*slot]);
        }
        return {};
    });
    if (!loaded)
        return loaded.error();
    stats_clocks = std::move(loaded.value());
    if (auto done = stats_clocks_attached.attach_all("floor", stats_clocks->obj); !done)
        return done.error();
    for (const auto& [group, prog] : stats_clocks_attached.programs)
        if (const auto slot = slot_of(prog))
            stats_clock_by_slot[*slot] = prog;
    return {};
}

Result<std::unique_ptr<Tracer>> Tracer::attach_all_groups(const ProbeTarget& target, const TraceTarget* trace,
                                                          ProbeFlavor flavor)
{
    const auto start = std::chrono::steady_clock::now();
    // The filemap and rss_stat probes are classic tracepoints.
    const PseudoMount tracefs = ensure_tracefs();
    if (!tracefs.available)
        return Error{0, "tracefs is not available (" + tracefs.error +
                            "); the filemap tracepoints need it. Run `zctrace doctor`."};
    auto impl = std::make_unique<Impl>();
    const bool stats_on = target.bpf_stats || (trace && trace->bpf_stats);
    if (stats_on) {
        auto stats = enable_bpf_stats();
        if (!stats)
            return stats.error();
        impl->stats = std::move(stats.value());
    }

    // The syscalls group creates the maps every other group shares, so it
    // loads first; the others then load in parallel and attach in order.
    auto syscalls = load_group("syscalls", ZC_SKELETON_OPS(zc_syscalls), flavor, [&](zc_syscalls& s) -> Result<void> {
        const long read_nrs[ZC_READ_SYSCALLS] = {SYS_read, SYS_pread64, SYS_readv, SYS_preadv, SYS_preadv2};
        for (int i = 0; i < ZC_READ_SYSCALLS; ++i)
            s.rodata->read_syscall_nrs[i] = read_nrs[i];
        const long returned_nrs[ZC_RETURNED_SYSCALLS] = {SYS_vmsplice, SYS_tee, SYS_copy_file_range, SYS_sendfile};
        for (int i = 0; i < ZC_RETURNED_SYSCALLS; ++i)
            s.rodata->returned_syscall_nrs[i] = returned_nrs[i];
        s.rodata->copy_file_range_nr = SYS_copy_file_range;
        s.rodata->exec_syscall_nrs[0] = SYS_execve;
        s.rodata->exec_syscall_nrs[1] = SYS_execveat;
        set_mode(s, trace, stats_on);
        if (trace && (bpf_map__set_max_entries(s.maps.followed, followed_words()) ||
                      bpf_map__set_max_entries(s.maps.procs, trace->max_procs) ||
                      bpf_map__set_max_entries(s.maps.socket_figures, trace->max_sockets) ||
                      bpf_map__set_max_entries(s.maps.file_figures, trace->max_files)))
            return Error::from_errno("cannot size the process maps");
        s.rodata->o_direct_flag = O_DIRECT;
        const __u64 pseudo_fs[] = {PROC_SUPER_MAGIC,   SYSFS_MAGIC,       CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
                                   DEBUGFS_MAGIC,      TRACEFS_MAGIC,     SECURITYFS_MAGIC,   BPF_FS_MAGIC,
                                   SELINUX_MAGIC,      EFIVARFS_MAGIC,    PSTOREFS_MAGIC,     0x62656570 /* configfs */,
                                   0x65735543 /* fusectl */, DEVPTS_SUPER_MAGIC, SMACK_MAGIC, NSFS_MAGIC};
        static_assert(sizeof pseudo_fs / sizeof pseudo_fs[0] == ZC_PSEUDO_FS_MAGICS);
        for (int i = 0; i < ZC_PSEUDO_FS_MAGICS; ++i)
            s.rodata->pseudo_fs_magics[i] = pseudo_fs[i];
        s.rodata->page_size = static_cast<__u32>(::sysconf(_SC_PAGESIZE));
        // io_uring requests matter to `trace` only; a kernel without io_uring
        // has no tracepoint for them, and nothing to attribute.
        std::error_code ignored;
        const bool uring = (trace || target.uring_sends) &&
                           std::filesystem::exists(tracefs.path + "/events/io_uring/io_uring_complete", ignored);
        bpf_program__set_autoload(s.progs.io_uring_complete, uring);
        bpf_program__set_autoload(s.progs.io_uring_cqe_overflow, uring);
        // One program per syscall in trace mode: calls are counted at exit;
        // none with light hooks.
        if (trace) {
            bpf_program__set_autoload(s.progs.sys_enter_btf, false);
            bpf_program__set_autoload(s.progs.sys_enter_raw, false);
        }
        if (trace && trace->light) {
            bpf_program__set_autoload(s.progs.sys_exit_btf, false);
            bpf_program__set_autoload(s.progs.sys_exit_raw, false);
        }
        // The typed syscall hooks let every task go that is none of
        // zctrace's (syscalls.bpf.c), except in their *_every_task variants,
        // loaded under bpf_stats, which counts every run. The task-storage
        // filter needs each traced thread marked before its first syscall,
        // which cannot be had for a task that joins trace --cgroup's cgroup
        // later, nor for a thread of a running process on a kernel that
        // gives no pidfd for a thread (before 6.9); the cpu-cache filter asks
        // the role, by process (or cgroup, each time), and needs no marks, so
        // it is what those get, `auto` or not.
        const bool marks_reach_every_task = !(trace && (trace->cgroup_id || !thread_pidfds_supported()));
        const bool let_untracked_go = !stats_on;
        const bool hooked = bpf_program__autoload(s.progs.sys_enter_btf) || bpf_program__autoload(s.progs.sys_exit_btf);
        const BystanderFilter wanted = trace ? trace->bystander_filter : target.bystander_filter;
        impl->clock.bystander_filter =
            !hooked || !let_untracked_go ? BystanderFilter::none
            : !marks_reach_every_task    ? BystanderFilter::cpu_cache
            : wanted != BystanderFilter::automatic ? wanted
                                                   : automatic_bystander_filter();
        const auto choose = [&](bpf_program* by_task_storage, bpf_program* by_cpu_cache, bpf_program* every_task) {
            const bool typed = bpf_program__autoload(by_task_storage);
            bpf_program__set_autoload(by_task_storage,
                                      typed && impl->clock.bystander_filter == BystanderFilter::task_storage);
            bpf_program__set_autoload(by_cpu_cache, typed && impl->clock.bystander_filter == BystanderFilter::cpu_cache);
            bpf_program__set_autoload(every_task, typed && !let_untracked_go);
        };
        choose(s.progs.sys_enter_btf, s.progs.sys_enter_cpu_cache_btf, s.progs.sys_enter_every_task_btf);
        choose(s.progs.sys_exit_btf, s.progs.sys_exit_cpu_cache_btf, s.progs.sys_exit_every_task_btf);
        const bool typed = bpf_program__autoload(s.progs.process_fork_btf);
        impl->marks_tasks = typed && impl->clock.bystander_filter == BystanderFilter::task_storage;
        // The raw twins never read it: a kernel before task storage (5.11)
        // still loads them.
        bpf_map__set_autocreate(s.maps.tracked_tasks, typed);
        return {};
    });
    if (!syscalls)
        return syscalls.error();
    impl->syscalls = std::move(syscalls.value());
    if (auto mapped = impl->tracking.map(impl->syscalls->maps.tracking); !mapped)
        return mapped.error();
    auto timed_run = calibrate_timed_run(*impl->syscalls);
    if (!timed_run)
        return timed_run.error();
    impl->clock.timed_run_ns = *timed_run;
    impl->clock.kernel_tlb_dropped_at_entry = read_page_table_isolation().drops_kernel_tlb();
    if (auto calibrated = impl->calibrate_bpf_stats_once(); !calibrated)
        return calibrated.error();

    // The maps every group shares (zctrace.bpf.h), created by the syscalls group.
    static constexpr const char* kSharedMaps[] = {"tracking",       "children",     "inflight",   "procs",
                                                  "followed",       "socket_figures", "file_figures",
                                                  "probe_runs",     "probe_timing"};
    bpf_object* const shared_from = impl->syscalls->obj;
    auto share_maps = [shared_from](bpf_object* obj) -> Result<void> {
        for (const char* name : kSharedMaps) {
            bpf_map* mine = bpf_object__find_map_by_name(obj, name);
            const bpf_map* source = bpf_object__find_map_by_name(shared_from, name);
            if (!mine || !source || bpf_map__reuse_fd(mine, bpf_map__fd(source)) != 0)
                return Error::from_errno(std::string("cannot share map ") + name + " between the probe groups");
        }
        return {};
    };
#define ZC_SHARE(skel) (set_mode(skel, trace, stats_on), share_maps((skel).obj))

    // Two at a time: each load holds a parsed copy of the kernel's BTF (about
    // 10 MiB), and two cores is what the project's machines have.
    using SchedLoad = Result<SkeletonPtr<zc_sched>>;
    using NetLoad = Result<SkeletonPtr<zc_net>>;
    auto other_thread = std::async(std::launch::async, [&] {
        SchedLoad sched = load_group("sched", ZC_SKELETON_OPS(zc_sched), flavor, [&](zc_sched& s) {
            if (trace && trace->light)
                leave_out_programs(s.obj);
            return ZC_SHARE(s);
        });
        NetLoad net = load_group("net", ZC_SKELETON_OPS(zc_net), flavor, [&](zc_net& s) -> Result<void> {
            if (trace && (bpf_map__set_max_entries(s.maps.sockets, trace->max_sockets) ||
                          bpf_map__set_max_entries(s.maps.flows, trace->max_sockets)))
                return Error::from_errno("cannot size the socket maps");
            return ZC_SHARE(s);
        });
        return std::pair<SchedLoad, NetLoad>(std::move(sched), std::move(net));
    });
    auto memory_loaded = load_group("memory", ZC_SKELETON_OPS(zc_memory), flavor, [&](zc_memory& s) -> Result<void> {
        s.rodata->target_ino = target.file_ino;
        s.rodata->target_dev = target.file_dev;
        s.rodata->target_pages = target.file_pages;
        s.rodata->page_size = static_cast<__u32>(::sysconf(_SC_PAGESIZE));
        const auto words = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (target.file_pages + 63) / 64));
        if (bpf_map__set_max_entries(s.maps.accessed_pages, words) ||
            bpf_map__set_max_entries(s.maps.added_pages, words))
            return Error::from_errno("cannot size the page bitmaps");
        if (trace && bpf_map__set_max_entries(s.maps.file_rss, trace->max_procs))
            return Error::from_errno("cannot size the file-RSS map");
        if (!trace)
            bpf_program__set_autoload(s.progs.writeback_dirty_folio_btf, false);
        if (trace && trace->light)
            leave_out_programs(s.obj);
        return ZC_SHARE(s);
    });
    auto block_loaded = load_group("block", ZC_SKELETON_OPS(zc_block), flavor, [&](zc_block& s) {
        s.rodata->target_dev = target.file_dev;
        if (trace && trace->light)
            leave_out_programs(s.obj);
        return ZC_SHARE(s);
    });
#undef ZC_SHARE
    // Wait for the other thread before returning, even after a failure: it
    // uses this frame.
    auto [sched_loaded, net_loaded] = other_thread.get();
    for (const Error* error : {sched_loaded ? nullptr : &sched_loaded.error(),
                               memory_loaded ? nullptr : &memory_loaded.error(),
                               net_loaded ? nullptr : &net_loaded.error(),
                               block_loaded ? nullptr : &block_loaded.error()})
        if (error)
            return *error;
    impl->sched = std::move(sched_loaded.value());
    impl->memory = std::move(memory_loaded.value());
    impl->net = std::move(net_loaded.value());
    impl->block = std::move(block_loaded.value());

    const std::pair<const char*, bpf_object*> groups[] = {
        {"syscalls", impl->syscalls->obj}, {"sched", impl->sched->obj}, {"memory", impl->memory->obj},
        {"net", impl->net->obj},           {"block", impl->block->obj}};
    // Before any program runs: the globals as loaded are what retarget()
    // returns to, and then this run's values go in.
    impl->target = target;
    impl->keep_loaded_globals();
    impl->set_run_values(target);
    for (const auto& [group, obj] : groups) {
        if (auto attached = impl->attached.attach_all(group, obj); !attached)
            return attached.error();
        // Some groups attached and some not: what a signal here leaves must
        // still all go with the Tracer that is never returned.
        hold_point("attach");
        if (interrupted())
            return Error{EINTR, "interrupted while attaching the probes", ErrorKind::interrupted};
    }
    // Without them (a kernel without tp_btf) the bpf_stats check takes its
    // clock from a test run instead, and the report says so
    // (bpf_stats.clock_source).
    if (stats_on)
        (void)impl->attach_stats_clocks();

    impl->attach_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::unique_ptr<Tracer>(new Tracer(std::move(impl)));
}

Result<void> Tracer::retarget(const ProbeTarget& run)
{
    const ProbeTarget& attached = impl_->target;
    if (run.file_ino != attached.file_ino || run.file_dev != attached.file_dev ||
        run.file_pages != attached.file_pages)
        return Error{0, "the probes were attached for another workload file; attach them again"};
    if (run.uring_sends && !attached.uring_sends)
        return Error{0, "the probes were attached without the io_uring send probes; attach them again"};
    const auto start = std::chrono::steady_clock::now();
    if (auto cleared = impl_->clear_counters(); !cleared)
        return cleared;
    impl_->set_run_values(run);
    impl_->attach_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    impl_->retargeted = true;
    return {};
}

bool Tracer::retargeted() const
{
    return impl_->retargeted;
}

Result<void> Tracer::Impl::mark_threads(pid_t pid) const
{
    if (!marks_tasks)
        return {};
    const int map_fd = bpf_map__fd(syscalls->maps.tracked_tasks);
    const std::uint8_t mark = 1;
    // A thread started while they are listed is marked by the fork probe
    // if its creator was marked already, and by the next pass if not. A
    // pool that starts threads all the time shows new ones on every pass,
    // though the fork probe marked them: the passes stop somewhere.
    constexpr int kPasses = 8;
    std::set<pid_t> marked;
    bool found = true;
    for (int pass = 0; found && pass < kPasses; ++pass) {
        found = false;
        for (const pid_t tid : threads_of(pid)) {
            if (marked.contains(tid))
                continue;
            UniqueFd task(open_pidfd(tid, tid != pid));
            if (task.get() < 0 && errno == ESRCH)
                continue;  // gone: nothing of it to count
            if (task.get() < 0)
                return Error::from_errno("cannot open a pidfd for thread " + std::to_string(tid) + " of pid " +
                                         std::to_string(pid));
            const int fd = task.get();
            if (bpf_map_update_elem(map_fd, &fd, &mark, BPF_ANY) != 0 && errno != ESRCH)
                return Error::from_errno("cannot mark thread " + std::to_string(tid) + " of pid " +
                                         std::to_string(pid) + " for the syscall probes");
            marked.insert(tid);
            found = true;
        }
    }
    return {};
}

Result<void> Tracer::track(pid_t pid, zc_role role)
{
    if (pid <= 0)
        return Error{EINVAL, "cannot track pid " + std::to_string(pid)};
    if (auto marked = impl_->mark_threads(pid); !marked)
        return marked;
    impl_->tracking.set_tgid(role, static_cast<std::uint32_t>(pid));
    impl_->tracking.roles_changed();
    return {};
}

Result<void> Tracer::follow(pid_t pid)
{
    if (!impl_->followed.mapped()) {
        if (auto mapped = impl_->followed.map(impl_->syscalls->maps.followed, "followed-process bitmap"); !mapped)
            return mapped;
    }
    if (!impl_->followed.set_bit(static_cast<std::uint32_t>(pid)))
        return Error{0, "cannot follow pid " + std::to_string(pid) + ": above the kernel's pid_max"};
    // After the bit: a thread it starts from now on is marked at its fork.
    if (auto marked = impl_->mark_threads(pid); !marked)
        return marked;
    impl_->tracking.roles_changed();
    return {};
}

Result<PageSummary> Tracer::Impl::read_pages() const
{
    auto accessed = read_u64_array(memory->maps.accessed_pages);
    if (!accessed)
        return accessed.error();
    auto added = read_u64_array(memory->maps.added_pages);
    if (!added)
        return added.error();
    PageSummary pages;
    for (std::size_t word = 0; word < accessed->size(); ++word) {
        pages.accessed += std::popcount((*accessed)[word]);
        pages.added += std::popcount((*added)[word]);
        pages.hits += std::popcount((*accessed)[word] & ~(*added)[word]);
    }
    return pages;
}

Result<RawCounters> Tracer::read() const
{
    RawCounters raw;
    auto syscalls = sum_percpu<zc_syscall_totals>(impl_->syscalls->maps.syscall_totals, 0);
    auto sched = sum_percpu<zc_sched_totals>(impl_->sched->maps.sched_totals, 0);
    auto memory = sum_percpu<zc_memory_totals>(impl_->memory->maps.memory_totals, 0);
    auto net = sum_percpu<zc_net_totals>(impl_->net->maps.net_totals, 0);
    auto block = sum_percpu<zc_block_totals>(impl_->block->maps.block_totals, 0);
    auto pages = impl_->read_pages();
    auto devices = read_device_map(impl_->net->maps.devices);
    for (const Error* error : {syscalls ? nullptr : &syscalls.error(), sched ? nullptr : &sched.error(),
                               memory ? nullptr : &memory.error(), net ? nullptr : &net.error(),
                               block ? nullptr : &block.error(), pages ? nullptr : &pages.error(),
                               devices ? nullptr : &devices.error()})
        if (error)
            return *error;
    raw.syscalls = *syscalls;
    raw.sched = *sched;
    raw.memory = *memory;
    raw.net = *net;
    raw.block = *block;
    raw.pages = *pages;
    raw.devices = std::move(devices.value());

    const std::uint32_t zero = 0;
    if (bpf_map__lookup_elem(impl_->syscalls->maps.tracking, &zero, sizeof zero, &raw.tracking, sizeof raw.tracking,
                             0) != 0)
        return Error::from_errno("cannot read the tracking state");
    auto processes = impl_->read_processes();
    if (!processes)
        return processes.error();
    raw.processes = std::move(processes.value());
    auto sockets = read_hash<std::uint64_t, zc_socket_figures>(impl_->syscalls->maps.socket_figures,
                                                               "the traced sockets");
    if (!sockets)
        return sockets.error();
    for (const auto& [key, figures] : *sockets)
        raw.sockets.push_back({key, figures});
    auto files = read_hash<zc_file_key, zc_file_figures>(impl_->syscalls->maps.file_figures, "the traced files");
    if (!files)
        return files.error();
    for (const auto& [key, figures] : *files)
        raw.files.push_back({key, figures});

    auto counts = sum_words_by_cpu(impl_->syscalls->maps.syscall_counts);
    if (!counts)
        return counts.error();
    for (std::uint32_t nr = 0; nr < counts->size(); ++nr) {
        if ((*counts)[nr])
            raw.syscall_counts.emplace_back(nr, (*counts)[nr]);
        raw.syscall_entries += (*counts)[nr];
    }
    auto bytes = read_u64_array(impl_->syscalls->maps.syscall_bytes);
    if (!bytes)
        return bytes.error();
    for (std::uint32_t slot = 0; slot < bytes->size(); ++slot)
        if ((*bytes)[slot])
            raw.syscall_bytes.push_back({slot / ZC_BYTE_KINDS, static_cast<zc_byte_kind>(slot % ZC_BYTE_KINDS),
                                         (*bytes)[slot]});
    auto requests = read_u64_array(impl_->syscalls->maps.uring_requests);
    if (!requests)
        return requests.error();
    for (std::uint32_t op = 0; op < requests->size(); ++op)
        if ((*requests)[op])
            raw.uring_requests.emplace_back(op, (*requests)[op]);
    auto request_bytes = read_u64_array(impl_->syscalls->maps.uring_bytes);
    if (!request_bytes)
        return request_bytes.error();
    for (std::uint32_t slot = 0; slot < request_bytes->size(); ++slot)
        if ((*request_bytes)[slot])
            raw.uring_bytes.push_back({slot / ZC_BYTE_KINDS, static_cast<zc_byte_kind>(slot % ZC_BYTE_KINDS),
                                       (*request_bytes)[slot]});
    return raw;
}

namespace {

// The keys of a hash map, one bpf() call each.
template <typename Key>
Result<std::vector<Key>> map_keys(const bpf_map* map, const std::string& what)
{
    const int fd = bpf_map__fd(map);
    std::vector<Key> keys;
    Key key{}, next{};
    for (const Key* previous = nullptr;; previous = &key) {
        if (bpf_map_get_next_key(fd, previous, &next) != 0) {
            if (errno == ENOENT)
                return keys;
            return Error::from_errno("cannot list " + what);
        }
        keys.push_back(next);
        key = next;
    }
}

}  // namespace

Result<std::size_t> Tracer::sender_sockets() const
{
    auto keys = map_keys<std::uint64_t>(impl_->net->maps.sockets, "the sender's sockets");
    if (!keys)
        return keys.error();
    return keys->size();
}

Result<std::size_t> Tracer::followed_count() const
{
    return impl_->followed.mapped() ? impl_->followed.count_bits() : 0;
}

Result<std::vector<ProcessCounters>> Tracer::processes() const { return impl_->read_processes(); }

std::vector<ProgramStats> Tracer::program_stats() const
{
    std::vector<ProgramStats> stats =
        impl_->attached.stats(impl_->syscalls->maps.probe_runs, impl_->syscalls->maps.probe_timing);
    for (ProgramStats& entry : stats) {
        const auto slot = probe_hook_slot(entry.program);
        const bpf_program* beside = slot ? impl_->stats_clock_by_slot[*slot] : nullptr;
        if (const auto info = beside ? program_info(beside) : std::nullopt) {
            entry.clock_run_ns = info->run_time_ns;
            entry.clock_run_count = info->run_cnt;
        }
    }
    return stats;
}
ProbeClock Tracer::clock() const { return impl_->clock; }

std::string_view bystander_filter_name(BystanderFilter filter)
{
    switch (filter) {
    case BystanderFilter::automatic: return "auto";
    case BystanderFilter::task_storage: return "task-storage";
    case BystanderFilter::cpu_cache: return "cpu-cache";
    case BystanderFilter::none: break;
    }
    return "none";
}

std::optional<BystanderFilter> bystander_filter_named(std::string_view name)
{
    for (const BystanderFilter filter : {BystanderFilter::automatic, BystanderFilter::task_storage,
                                         BystanderFilter::cpu_cache, BystanderFilter::none})
        if (bystander_filter_name(filter) == name)
            return filter;
    return std::nullopt;
}

BystanderFilter automatic_bystander_filter()
{
    return read_page_table_isolation().drops_kernel_tlb() ? BystanderFilter::task_storage : BystanderFilter::cpu_cache;
}

std::string typed_syscall_program(std::string_view hook, BystanderFilter filter)
{
    const std::string_view variant = filter == BystanderFilter::cpu_cache ? "_cpu_cache"
                                     : filter == BystanderFilter::none    ? "_every_task"
                                                                          : "";
    return std::string(hook).append(variant).append("_btf");
}

Result<void> Tracer::set_bpf_stats(bool on)
{
    if (!on) {
        impl_->stats.reset();
        return {};
    }
    if (impl_->stats.get() >= 0)
        return {};
    auto stats = enable_bpf_stats();
    if (!stats)
        return stats.error();
    impl_->stats = std::move(stats.value());
    return impl_->calibrate_bpf_stats_once();
}

bool Tracer::bpf_stats_on() const { return impl_->stats.get() >= 0; }
const std::vector<AttachedProbe>& Tracer::probes() const { return impl_->attached.probes; }
double Tracer::attach_seconds() const { return impl_->attach_seconds; }

struct XmitObserver::Impl {
    SkeletonPtr<zc_net> net{nullptr, nullptr};
    AttachedPrograms attached;  // after the skeleton: destroyed first
    UniqueFd stats;
    double attach_seconds = 0;
};

XmitObserver::XmitObserver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XmitObserver::~XmitObserver() = default;

Result<std::unique_ptr<XmitObserver>> XmitObserver::attach()
{
    const auto start = std::chrono::steady_clock::now();
    auto impl = std::make_unique<Impl>();
    auto stats = enable_bpf_stats();
    if (!stats)
        return Error(stats.error()).as(ErrorKind::unsupported);
    impl->stats = std::move(stats.value());
    auto net = load_group("net", ZC_SKELETON_OPS(zc_net), ProbeFlavor::typed, [](zc_net& s) -> Result<void> {
        s.rodata->observe_all = true;
        bpf_program* prog;
        bpf_object__for_each_program(prog, s.obj)
            bpf_program__set_autoload(prog, prog == s.progs.net_dev_start_xmit);
        return {};
    });
    if (!net)
        return Error(net.error()).as(ErrorKind::unsupported);
    impl->net = std::move(net.value());
    if (auto attached = impl->attached.attach_all("net", impl->net->obj); !attached)
        return Error(attached.error()).as(ErrorKind::unsupported);
    impl->attach_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::unique_ptr<XmitObserver>(new XmitObserver(std::move(impl)));
}

Result<std::vector<DeviceTraffic>> XmitObserver::read() const { return read_device_map(impl_->net->maps.devices); }
Result<std::uint64_t> XmitObserver::unattributed_bytes() const
{
    auto totals = sum_percpu<zc_net_totals>(impl_->net->maps.net_totals, 0);
    if (!totals)
        return totals.error();
    return totals->xmit_unattributed_device_bytes;
}
std::vector<ProgramStats> XmitObserver::program_stats() const { return impl_->attached.stats(nullptr, nullptr); }
const std::vector<AttachedProbe>& XmitObserver::probes() const { return impl_->attached.probes; }
double XmitObserver::attach_seconds() const { return impl_->attach_seconds; }

struct EmptyProbes::Impl {
    SkeletonPtr<zc_floor> floor{nullptr, nullptr};
    AttachedPrograms attached;  // after the skeleton: destroyed first
};

EmptyProbes::EmptyProbes(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmptyProbes::~EmptyProbes() = default;

Result<std::unique_ptr<EmptyProbes>> EmptyProbes::attach(EmptyHooks hooks)
{
    if (const PseudoMount tracefs = ensure_tracefs(); !tracefs.available)
        return Error{0, "tracefs is not available (" + tracefs.error + "); two of the hooks are classic tracepoints",
                     ErrorKind::unsupported};
    auto impl = std::make_unique<Impl>();
    // trace counts calls at sys_exit and attaches nothing to sys_enter.
    auto floor = load_group("floor", ZC_SKELETON_OPS(zc_floor), ProbeFlavor::typed, [hooks](zc_floor& s) -> Result<void> {
        bpf_program__set_autoload(s.progs.floor_sys_enter, hooks == EmptyHooks::run);
        return {};
    });
    if (!floor)
        return Error(floor.error()).as(ErrorKind::unsupported);
    impl->floor = std::move(floor.value());
    if (auto attached = impl->attached.attach_all("floor", impl->floor->obj); !attached)
        return Error(attached.error()).as(ErrorKind::unsupported);
    return std::unique_ptr<EmptyProbes>(new EmptyProbes(std::move(impl)));
}

const std::vector<AttachedProbe>& EmptyProbes::probes() const { return impl_->attached.probes; }

}  // namespace zctrace
