// The probe's terminal I/O against scripted terminals on a pseudo-terminal: each reads the whole
// query (up to DA1) and answers as kitty, a sixel-only VT340, a terminal with neither, or not at all.

import CursesTerminal
import Explorer
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Terminal probe", .serialized)
struct ProbeExchangeTests {
    /// Runs the probe on the slave side of a new pty while `reply` (nil: silence) answers on the master
    /// side once the query's DA1 has arrived. Returns the replies, the query the terminal saw and the time taken.
    func probe(reply: String?) throws -> (replies: TerminalReplies?, seen: [UInt8], seconds: Double) {
        // posix_openpt/grantpt/ptsname are not in Swift's Glibc module: the same steps by hand.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0, number: UInt32 = 0
        // TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, unsigned int): function-like
        // macros Swift cannot import; these values are Linux's on x86-64 and arm64.
        #expect(ioctl(master, UInt(0x4004_5431), &unlock) == 0)
        #expect(ioctl(master, UInt(0x8004_5430), &number) == 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        #expect(slave >= 0)
        guard slave >= 0 else { return (nil, [], 0) }
        defer { close(slave) }

        let seen = LockedBytes()
        let terminal = Thread {
            var buffer = [UInt8](repeating: 0, count: 512)
            var received: [UInt8] = []
            let deadline = Date().addingTimeInterval(2)
            while Date() < deadline && !received.containsSequence(Array("\u{1B}[c".utf8)) {
                var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 50) > 0 else { continue }
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n > 0 { received += buffer[0..<n] }
            }
            seen.set(received)
            if let reply { _ = Array(reply.utf8).withUnsafeBytes { write(master, $0.baseAddress, $0.count) } }
        }
        terminal.start()
        let start = Date()
        let replies = TerminalProbe.exchange(fd: slave, query: GraphicsProbe.query, timeout: GraphicsProbe.timeoutSeconds)
        let seconds = Date().timeIntervalSince(start)
        // Let the scripted terminal finish before the pty closes.
        for _ in 0..<100 where seen.get() == nil { usleep(10_000) }
        return (replies, seen.get() ?? [], seconds)
    }

    @Test("kitty answers the graphics query: kitty graphics, before the time is up")
    func kitty() throws {
        let result = try probe(reply: "\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t\u{1B}[?62;22c")
        #expect(result.seen == GraphicsProbe.query)
        let replies = try #require(result.replies)
        #expect(replies.complete && replies.kittyGraphics && replies.cellPixels == PixelSize(width: 10, height: 20))
        #expect(GraphicsSelection.decide(request: .auto, environment: ["TERM": "xterm-256color"], insideTmux: false, passthrough: false,
                                         kernelCell: nil, replies: replies).protocolInUse == .kitty)
    }

    @Test("a sixel-only VT340: sixel, 16 registers, its largest picture")
    func sixelOnly() throws {
        let result = try probe(reply: "\u{1B}[?1;0;16S\u{1B}[?2;0;800;480S\u{1B}[6;17;9t\u{1B}[?63;1;2;4;6;9;15;22c")
        let replies = try #require(result.replies)
        #expect(replies.complete && !replies.kittyGraphics && replies.sixel && replies.colorRegisters == 16)
        let setup = GraphicsSelection.decide(request: .auto, environment: ["TERM": "xterm"], insideTmux: false, passthrough: false,
                                             kernelCell: nil, replies: replies)
        #expect(setup.protocolInUse == .sixel && setup.cellPixels == PixelSize(width: 9, height: 17) && setup.colorRegisters == 16)
    }

    @Test("a terminal with neither answers only DA1: half-blocks, at once")
    func neither() throws {
        let result = try probe(reply: "\u{1B}[?62;22c")
        let replies = try #require(result.replies)
        #expect(replies.complete && !replies.kittyGraphics && !replies.sixel)
        #expect(result.seconds < GraphicsProbe.timeoutSeconds)
        #expect(GraphicsSelection.decide(request: .auto, environment: ["TERM": "xterm-256color"], insideTmux: false, passthrough: false,
                                         kernelCell: PixelSize(width: 8, height: 16), replies: replies).protocolInUse == .halfblocks)
    }

    @Test("a terminal that never answers: half-blocks after the 150 ms budget, not later")
    func silence() throws {
        let result = try probe(reply: nil)
        let replies = try #require(result.replies)
        #expect(!replies.complete)
        #expect(result.seconds >= GraphicsProbe.timeoutSeconds * 0.9 && result.seconds < 0.5, "took \(result.seconds) s")
        #expect(GraphicsSelection.decide(request: .auto, environment: ["TERM": "xterm-256color"], insideTmux: false, passthrough: false,
                                         kernelCell: PixelSize(width: 8, height: 16), replies: replies).protocolInUse == .halfblocks)
    }

    @Test("not a terminal: no probe")
    func notATerminal() {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(TerminalProbe.exchange(fd: fds[1], query: GraphicsProbe.query, timeout: 0.05) == nil)
    }
}

final class LockedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8]?
    func set(_ value: [UInt8]) { lock.lock(); bytes = value; lock.unlock() }
    func get() -> [UInt8]? { lock.lock(); defer { lock.unlock() }; return bytes }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
