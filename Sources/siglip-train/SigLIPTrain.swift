import ArgumentParser
import Foundation
import SigLIP
import SigLIPApp
import SigLIPMPI
import SigLIPTraining

/// `siglip-train`: trains a SigLIP model (with RINS if asked) from scratch or from a checkpoint.
/// A thin shell: options → `TrainingOptions` → `Trainer`; progress and the summary go to the terminal.
@main
struct SigLIPTrain: ParsableCommand {
    static func main() { mainWithOneLineErrors() }

    static let configuration = CommandConfiguration(
        commandName: "siglip-train",
        abstract: "Train a SigLIP image–text model (optionally with RINS) on the CPU.",
        discussion: """
            With no options, trains the default small model (the baseline A B, the better one at this scale in the \
            RINS study) on the bundled data set and reports \
            zero-shot accuracy on the bundled held-out benchmark. Options come from --config FILE (JSON, \
            keys as in train_config.json) and are overridden by flags; the effective options are written \
            to OUTPUT/train_config.json.

            Started by mpirun (mpirun -np K siglip-train ...), trains data-parallel over K ranks: \
            --batch-size is the global batch, each rank takes 1/K of it from its part of the data, the \
            sigmoid loss is over the whole global batch, rank 0 writes OUTPUT (docs/SCALING.md).
            """)

    @OptionGroup var flags: TrainFlags

    @Option(name: .customLong("config"), help: "JSON file of options (flags override it).")
    var configFile: String?

    @Flag(help: "Continue the run in --output from its latest checkpoint.")
    var resume = false

    @Option(help: "Threads for BLAS and the kernels (default: all cores; with --resume, the threads the run's checkpoint was computed with when it was on this CPU over as many ranks; under mpirun, per rank).")
    var threads: Int?

    @Option(help: ArgumentHelp(InstructionSet.flagHelp.abstract + " With --resume, the level the run's checkpoint was computed with when it was on this CPU."))
    var instructionSet: InstructionSet?

    @Option(help: ArgumentHelp("Under mpirun: seconds a rank waits for the others in one exchange before it ends the job.",
                               discussion: "Must exceed rank 0's slowest periodic evaluation and checkpoint."))
    var mpiTimeout: Double = 600

    mutating func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // one line at a time, also into a file or pipe
        guard mpiTimeout.isFinite, (1...86_400).contains(mpiTimeout) else {
            throw ValidationError("--mpi-timeout: \(mpiTimeout) is not between 1 and 86400 seconds")
        }
        // MPI only when a launcher started this process; a plain run never initialises it.
        let group = MPIGroup.isLaunched ? try MPIGroup(timeout: mpiTimeout, command: "siglip-train") : nil
        do {
            // A resumed run starts from its own saved options (then --config or flags may change
            // what does not affect the model); a new run from --config or the defaults.
            var options = TrainingOptions()
            let saved = RunDirectory(URL(fileURLWithPath: flags.output ?? options.output)).optionsFile
            var given = flags.architectureKeysGiven
            if let configFile {
                options = try TrainingOptions.read(from: URL(fileURLWithPath: configFile))
                given.formUnion(try TrainingOptions.keys(in: URL(fileURLWithPath: configFile)))
            } else if resume, FileManager.default.fileExists(atPath: saved.path) {
                options = try TrainingOptions.read(from: saved)
            }
            try flags.apply(to: &options)
            // Resumed with the checkpoint's level and threads on its CPU, its sums continue bit for bit.
            let recorded = resume ? RunDirectory(URL(fileURLWithPath: options.output)).recordedCompute() : nil
            try ComputeFlags.apply(instructionSet: instructionSet, threads: threads, recordedLevel: { recorded?.levelToResume },
                                   recordedThreads: { recorded?.threadsToResume(ranks: group?.size ?? 1) })
            // A new run from a pretrained model takes the architecture the flags do not give from it.
            if !resume { options = try TrainingRun.adoptingPretrainedArchitecture(options, given: given) }
            try TrainingJob(options: options, resume: resume, group: group).run()
            group?.finish()
        } catch let error as ExitCode {
            throw error
        } catch {
            // Under mpirun one rank's error ends every rank (Open MPI's abort), naming the rank.
            if let group, group.size > 1 { group.abort("\(error)") }
            writeStandardError("siglip-train: error: \(error)\n")
            throw ExitCode.failure
        }
    }
}
