// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Errors are values: an errno (0 when none applies) and a message that says
// what went wrong and, where possible, what to do about it.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace zctrace {

// What kind of failure, so that callers (the CLI's exit status) need not
// parse messages.
enum class ErrorKind {
    failed,       // the run went wrong
    unsupported,  // this machine cannot do it: a probe, a privilege, a kernel feature
    bad_input,    // what the user asked for cannot work: fix the command line
    interrupted,  // a signal asked us to stop
    not_found,    // a program to run does not exist (a shell's 127)
};

struct Error {
    int code = 0;  // errno, or 0
    std::string message;
    ErrorKind kind = ErrorKind::failed;

    static Error from_errno(std::string what, int err = errno);
    // What the user asked for cannot work; the message says what to do.
    static Error bad_input(std::string message) { return Error{0, std::move(message), ErrorKind::bad_input}; }
    // The message with strerror appended when there is an errno.
    [[nodiscard]] std::string describe() const;
    [[nodiscard]] Error as(ErrorKind new_kind) &&
    {
        kind = new_kind;
        return std::move(*this);
    }
    // "<where>: <message>", for errors from a step of a larger task.
    [[nodiscard]] Error context(const std::string& where) &&
    {
        message = where + ": " + message;
        return std::move(*this);
    }
};

// A value or an Error; a small std::expected for C++20.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    [[nodiscard]] const Error& error() const { return std::get<Error>(state_); }

private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    [[nodiscard]] bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] const Error& error() const { return error_; }

private:
    Error error_;
    bool failed_ = false;
};

}  // namespace zctrace
