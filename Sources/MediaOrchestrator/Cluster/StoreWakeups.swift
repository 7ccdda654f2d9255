import Foundation
import NIOConcurrencyHelpers

/// A wake-up for whoever waits on the store (idle workers, the change feed): PostgreSQL's NOTIFY
/// from any node, or this process's own ingest. Only ever a hint: every waiter also polls, so a
/// wake-up lost with a connection costs a poll interval, never a job.
public final class StoreWakeups: Sendable {
    private struct Waiter { let id: Int; let continuation: CheckedContinuation<Void, Never> }
    private let state = NIOLockedValueBox((nextId: 0, waiters: [Waiter]()))

    public init() {}

    /// Wakes every waiter now.
    public func announce() {
        let waiters = state.withLockedValue { state in defer { state.waiters = [] }; return state.waiters }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Returns at the next announcement, or after `timeout` seconds, or when cancelled.
    public func wait(upTo timeout: TimeInterval) async {
        let id = state.withLockedValue { state in state.nextId += 1; return state.nextId }
        let timer = TimerBox()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLockedValue { $0.waiters.append(Waiter(id: id, continuation: continuation)) }
                // Started only now that the waiter is there to be resumed.
                timer.set(Task { [weak self] in
                    try? await Task.sleep(for: .seconds(timeout))
                    self?.resume(id)
                })
                if Task.isCancelled { resume(id) }
            }
        } onCancel: {
            resume(id)
        }
        timer.cancel()
    }

    /// The timer task of one wait, cancelled when the wait ends first.
    private final class TimerBox: Sendable {
        private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
        func set(_ t: Task<Void, Never>) { task.withLockedValue { $0 = t } }
        func cancel() { task.withLockedValue { $0?.cancel() } }
    }

    private func resume(_ id: Int) {
        let waiter = state.withLockedValue { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume()
    }
}
