// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The independent check: a second, unrelated loopback transfer running the
// whole time must not change a single count of the workload's report.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "support.hpp"

namespace zctrace::test {
namespace {

// Two processes of its own (forked before any thread exists): one drains a
// socket, the other alternates write() and sendfile() into it, so both
// copied and page-cache frags cross lo alongside the workload.
class BackgroundTraffic {
public:
    explicit BackgroundTraffic(const WorkloadFile& file)
    {
        void* shared = ::mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
            throw std::runtime_error("background counter");
        drained_ = new (shared) std::atomic<std::uint64_t>(0);
        int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof addr;
        if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ||
            ::listen(listener, 1) || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length))
            throw std::runtime_error("background listener");

        drain_ = spawn([&] {
            int conn = ::accept(listener, nullptr, nullptr);
            std::vector<char> buffer(1 << 20);
            for (ssize_t n; (n = ::read(conn, buffer.data(), buffer.size())) > 0;)
                drained_->fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
            return 0;
        });
        pump_ = spawn([&] {
            int sock = ::socket(AF_INET, SOCK_STREAM, 0);
            if (::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr))
                return 1;
            int fd = ::open(file.path.c_str(), O_RDONLY);
            std::vector<char> buffer(64 * 1024, 'x');
            for (;;) {
                if (::write(sock, buffer.data(), buffer.size()) <= 0)
                    return 1;
                off_t offset = 0;
                if (::sendfile(sock, fd, &offset, 64 * 1024) <= 0)
                    return 1;
            }
        });
        ::close(listener);
    }
    ~BackgroundTraffic()
    {
        for (pid_t pid : {pump_, drain_}) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    [[nodiscard]] bool running() const { return ::waitpid(pump_, nullptr, WNOHANG) == 0; }
    [[nodiscard]] std::uint64_t bytes() const { return drained_->load(); }

private:
    template <typename Body>
    static pid_t spawn(Body body)
    {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::_exit(body());
        }
        return pid;
    }
    pid_t drain_ = -1;
    pid_t pump_ = -1;
    std::atomic<std::uint64_t>* drained_ = nullptr;
};

class BackgroundTest : public ::testing::TestWithParam<Technique> {
protected:
    void SetUp() override { ZC_REQUIRE_BPF(); }
};

TEST_P(BackgroundTest, UnrelatedTrafficChangesNothing)
{
    const Technique technique = GetParam();
    const Report quiet = run_report(technique).report;
    Report busy;
    {
        BackgroundTraffic traffic(shared_file(16 * kMiB));
        ::usleep(100 * 1000);
        ASSERT_TRUE(traffic.running());
        const std::uint64_t before = traffic.bytes();
        busy = run_report(technique).report;
        ASSERT_TRUE(traffic.running()) << "the background transfer stopped during the run";
        // Enough unrelated traffic to matter: more than the workload's own.
        EXPECT_GT(traffic.bytes() - before, 16 * kMiB);
    }
    const Measured& a = quiet.measured;
    const Measured& b = busy.measured;
    EXPECT_TRUE(busy.workload.integrity.ok);
    const auto problems = report_schema().validate(nlohmann::json(busy));
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(b.syscalls.by_name, a.syscalls.by_name);
    EXPECT_EQ(b.syscalls.by_name, busy.workload.calls);
    EXPECT_EQ(b.mode_switches, a.mode_switches);
    EXPECT_NEAR(b.cpu_copies, a.cpu_copies, 0.02);
    EXPECT_EQ(b.cpu_copy_bytes.file_to_user, a.cpu_copy_bytes.file_to_user);
    EXPECT_EQ(b.cpu_copy_bytes.user_to_socket, a.cpu_copy_bytes.user_to_socket);
    EXPECT_EQ(b.socket.sendmsg.spliced_bytes, a.socket.sendmsg.spliced_bytes);
    EXPECT_EQ(b.receiver.copy_bytes, 16 * kMiB);
    EXPECT_EQ(b.page_cache.accessed_pages, a.page_cache.accessed_pages);
    EXPECT_EQ(b.page_cache.misses, 0u);
    // The background pump sends both kinds of frags; none may leak in. What
    // the workload itself sent, minus retransmissions, is the payload.
    if (technique == Technique::sendfile || technique == Technique::splice)
        EXPECT_EQ(b.socket.copied_frag_bytes, 0u);
    else
        EXPECT_EQ(b.socket.shared_frag_bytes, 0u);
    // Resends are counted where they leave (below the highest sequence
    // already sent), frags or linear: a resend that TCP collapsed into the
    // linear area is not in the frags, and tcp_retransmit_skb's skb->len
    // need not match what reached the device.
    const std::uint64_t payload = b.socket.bytes - b.socket.header_bytes;
    EXPECT_EQ(payload - b.socket.resent_payload_bytes, 16 * kMiB)
        << "resent " << b.socket.resent_payload_bytes << ", retransmitted " << b.socket.retransmit_bytes << "\n"
        << describe_checks(busy) << nlohmann::json(b.socket).dump() << "\n"
        << nlohmann::json(busy.overhead).dump();
    ASSERT_EQ(b.socket.devices.size(), 1u);
    EXPECT_EQ(b.socket.devices.front().payload_bytes - b.socket.resent_payload_bytes, 16 * kMiB);
}

INSTANTIATE_TEST_SUITE_P(AllTechniques, BackgroundTest,
                         ::testing::Values(Technique::read_write, Technique::mmap_write, Technique::sendfile,
                                           Technique::splice),
                         [](const auto& info) { return std::string(technique_name(info.param)); });

}  // namespace
}  // namespace zctrace::test
