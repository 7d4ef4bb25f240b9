// maskscope-fuzz: a seeded mutation fuzzer for the file readers (PNG, JPEG, label PNG, safetensors).
//
//   MaskscopeFuzz <png|jpeg|label|safetensors> --seed S --iterations N [--from I] --crash-dir D SEED-FILE...
//
// Input i is a function of (seed, i) only, so `--from I --iterations 1` reproduces iteration I.
// Exit 0: every input decoded or threw. Exit 70: a reader crashed or hung (the message names the
// iteration and where its input was saved). Exit 2: usage. FuzzTests runs this in a child process
// so that a trap is a reported failure, not the death of the test run.

#if canImport(Glibc)
import Glibc
#endif

func usage(_ problem: String) -> Never {
    FileHandle2.standardError("maskscope-fuzz: \(problem)\nusage: MaskscopeFuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> --seed S --iterations N [--from I] --crash-dir D SEED-FILE...\n")
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let first = arguments.first, let target = FuzzTarget(rawValue: first) else { usage("name a reader first") }
arguments.removeFirst()
var seed: UInt64 = 1, iterations = 1000, from = 0, crashDirectory = "/tmp"
var seedFiles: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    func value() -> String {
        guard !arguments.isEmpty else { usage("\(argument) needs a value") }
        return arguments.removeFirst()
    }
    switch argument {
    case "--seed": guard let v = UInt64(value()) else { usage("--seed takes a whole number") }; seed = v
    case "--iterations": guard let v = Int(value()), v >= 0 else { usage("--iterations takes a whole number") }; iterations = v
    case "--from": guard let v = Int(value()), v >= 0 else { usage("--from takes a whole number") }; from = v
    case "--crash-dir": crashDirectory = value()
    default: seedFiles.append(argument)
    }
}

var corpus: [[UInt8]] = []
for path in seedFiles {
    guard let file = fopen(path, "rb") else { usage("\(path): cannot open the seed file") }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    fclose(file)
    corpus.append(bytes)
}
guard !corpus.isEmpty else { usage("give at least one seed file") }

// The file-based readers get each input through a file: in memory (/dev/shm) where there is one.
let scratchDirectory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : crashDirectory
let scratch = "\(scratchDirectory)/maskscope-fuzz-\(target.rawValue)-\(getpid())"
installCrashHandlers(crashFile: "\(crashDirectory)/crash-\(target.rawValue)-seed\(seed).bin")
let mutator = Mutator(corpus: corpus, format: target.format)
var decoded = 0
for iteration in from..<(from + iterations) {
    let input = mutator.input(seed: seed, iteration: iteration)
    announce("\(target.rawValue) seed \(seed) iteration \(iteration) (reproduce: --seed \(seed) --from \(iteration) --iterations 1)", input)
    alarm(10)
    if target.read(input, scratchFile: scratch) { decoded += 1 }
    alarm(0)
}
unlink(scratch)
print("maskscope-fuzz: \(target.rawValue) seed \(seed): \(iterations) iterations from \(from), \(decoded) decoded, \(iterations - decoded) refused, 0 crashes")
